"""The real baggage X-ray samples in ../shared/data are accepted and processed without error (skips without them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartinspect.config import REPO_ROOT

SAMPLES = REPO_ROOT.parent / "shared" / "data" / "xray-real-samples" / "images"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real samples not present at {SAMPLES}")


def _images() -> list[Path]:
    return sorted(SAMPLES.glob("*.png")) if SAMPLES.is_dir() else []


@pytest.mark.parametrize("path", _images(), ids=lambda p: p.name)
def test_real_sample_is_accepted_and_analysed(client, make_key, path):
    key = make_key("scanner")
    resp = client.post(
        "/v1/scans",
        files={"image": (path.name, path.read_bytes(), "image/png")},
        data={"scanner_id": "baggage-lab", "container_no": "CSQU3054383", "scanned_at": "2026-11-23T00:00:00Z",
              "pixel_pitch_mm": "1.0"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "analysed" and body["verdict"] in {"CLEAR", "REVIEW", "INSPECT"}
    overlay = client.get(body["links"]["overlay"], headers={"Authorization": f"Bearer {key}"})
    assert overlay.status_code == 200
