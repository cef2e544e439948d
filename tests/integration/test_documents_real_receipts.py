"""Real scanned receipts (../shared/data/sroie-dev, held-out split only) through the served path: a handful via
POST /v1/documents, and (slow) the whole held-out split via the evaluator, asserting the issue's targets.
Skips when the data is absent (it is research data and stays out of the repository)."""

from __future__ import annotations

import pytest

from smartinspect.config import REPO_ROOT

SROIE = REPO_ROOT.parent / "shared" / "data" / "sroie-dev"
pytestmark = pytest.mark.skipif(not (SROIE / "img").is_dir(), reason=f"SROIE dev receipts not present at {SROIE}")


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"ocr_intra_op_threads": settings.onnx_intra_op_threads})


def _held_out(n: int | None = None):
    from smartinspect.documents.sroie import load_samples

    return load_samples(SROIE, "held-out")[:n]


def test_a_handful_of_held_out_receipts_through_the_api(client, make_key):
    from smartinspect.documents.sroie import FIELDS, field_matches

    key = make_key("officer")
    right = {k: 0 for k in ("company", "date", "total")}
    samples = _held_out(6)
    for sample in samples:
        resp = client.post("/v1/documents", files={"file": (sample.image.name, sample.image.read_bytes(), "image/jpeg")},
                           headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert "document_unreadable" not in {v["code"] for v in body["validations"] if not v["ok"]}
        fields = {f["name"]: f for f in body["fields"]}
        for k in right:
            f = fields.get(FIELDS[k])
            assert f is None or 0.0 < f["confidence"] <= 1.0
            right[k] += field_matches(k, sample.key[k], f and f["value"], f and f["normalised"])
    assert right["date"] >= 5 and right["total"] >= 5, right
    assert right["company"] >= 3, right


def _held_out_summary(tmp_path_factory):
    from smartinspect.documents.sroie import run

    return run(SROIE, split="held-out", cache=tmp_path_factory.mktemp("sroie-ocr"))


@pytest.fixture(scope="module")
def held_out(tmp_path_factory):
    return _held_out_summary(tmp_path_factory)


@pytest.mark.slow
def test_held_out_targets_date_and_total(held_out):
    fields = held_out["fields"]
    assert held_out["receipts"] >= 100 and held_out["failed"] == []
    assert fields["date"]["accuracy"] >= 0.90, fields["date"]
    assert fields["total"]["accuracy"] >= 0.90, fields["total"]
    assert fields["company"]["accuracy"] >= 0.70, fields["company"]  # today's level (docs/documents.md)
    assert held_out["seconds_per_receipt"]["extract"] < 0.2


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="seller target 0.90 not met (held-out 0.76, docs/documents.md); "
                                       "this test starts passing, and so fails as XPASS, once it is")
def test_held_out_target_seller(held_out):
    assert held_out["fields"]["company"]["accuracy"] >= 0.90
