"""Expert review end to end without a browser: scan → case → decision → instruction → label file → dataset.

Real app, the shipped X-ray model, a real SQLite database, blob store and feedback store. The rule set sends
every analysed scan to an expert, so the test does not depend on what the current detector flags.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from smartinspect.clearance.audit import check_audit_chain
from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.rulestore import upload_rule_set
from smartinspect.clearance.service import create_declaration, get_declaration
from smartinspect.clearance.synthetic import example_declaration
from smartinspect.domain.review import LabelTask
from smartinspect.lifecycle.feedback import read_feedback
from smartinspect.review.export import export_feedback
from smartinspect.storage.models_clearance import AuditEvent, Instruction
from smartinspect.storage.models_review import ReviewDecision

EVERY_SCAN_TO_AN_EXPERT = """schema: 1
name: review-tests
seed: review-tests
rules:
  - id: xray-expert-review
    description: Every analysed scan goes to an expert (test rule set)
    when: finding.xray.verdict >= CLEAR
    channel: yellow
    instructions:
      - {kind: image_review, priority: 2, focus: finding}
"""
CLASSES = ["firearm", "drugs", "cigarettes", "concealment"]


def png(array: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", array)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def review_scan():
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    return generate_scan(np.random.default_rng(1), XrayGenConfig(), container="20ft", force_empty=False,
                         force_threats=["concealment"])


@pytest.fixture
def open_case(app, client, make_key, review_scan):
    """Post a scan for a declaration, then file the declaration: one open image_review case. Returns its facts."""
    def make(number: str = "224820261000000001") -> dict:
        with app.state.session_factory() as session:
            upload_rule_set(session, text=EVERY_SCAN_TO_AN_EXPERT, actor="admin#0")
            session.commit()
        files = {"image": ("scan.png", png(review_scan.high), "image/png"),
                 "image_low": ("low.png", png(review_scan.low), "image/png")}
        data = {"scanner_id": "portal-3", "container_no": review_scan.manifest["container_no"],
                "scanned_at": "2026-11-23T08:00:00Z", "declaration_no": number}
        scan = client.post("/v1/scans", files=files, data=data, headers={"X-API-Key": make_key("scanner")})
        assert scan.status_code == 201, scan.text
        with app.state.session_factory() as session:
            create_declaration(session, data=DeclarationCreate.model_validate(example_declaration(number)),
                               actor="officer#0")
            session.commit()
            case_id = session.scalar(select(Instruction.id).where(Instruction.kind == "image_review",
                                                                  Instruction.declaration_no == number))
        assert case_id is not None, "the rule set should have issued an image_review"
        return {"case_id": case_id, "scan": scan.json(), "number": number}

    return make


def test_round_trip_scan_case_decision_instruction_label(app, client, settings, make_key, open_case, review_scan,
                                                         tmp_path):
    case = open_case()
    expert = {"X-API-Key": make_key("expert")}
    queue = client.get("/v1/review/cases", params={"type": "scan"}, headers=expert).json()
    assert [c["id"] for c in queue["items"]] == [case["case_id"]] and queue["items"][0]["status"] == "issued"
    detail = client.get(f"/v1/review/cases/{case['case_id']}", headers=expert).json()
    assert detail["scan"]["id"] == case["scan"]["id"] and detail["declaration"]["number"] == case["number"]
    assert detail["scan"]["findings"] == case["scan"]["findings"]

    # the viewer's 16-bit samples come back exactly, compressed
    pixels = client.get(detail["scan"]["links"]["pixels"], headers={**expert, "Accept-Encoding": "gzip"})
    assert pixels.headers["content-encoding"] == "gzip" and pixels.headers["x-bit-depth"] == "16"
    samples = np.frombuffer(pixels.content, "<u2").reshape(review_scan.high.shape)
    assert np.array_equal(samples, review_scan.high)
    materials = client.get(detail["scan"]["links"]["materials"], headers=expert)
    layer = cv2.imdecode(np.frombuffer(materials.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert layer.shape == (*review_scan.high.shape, 4) and (layer[..., 3] > 0).any()

    claimed = client.post(f"/v1/review/cases/{case['case_id']}/claim", headers=expert).json()
    assert claimed["status"] == "in_progress" and claimed["held_by_me"]

    boxes = [{"class_name": "concealment", "box": [410.0, 560.0, 900.0, 640.0]}]
    body = {"decision": "escalate", "comment": "false floor behind the cartons", "boxes": boxes}
    decided = client.post(f"/v1/review/cases/{case['case_id']}/decision", json=body, headers=expert)
    assert decided.status_code == 201, decided.text
    result = decided.json()
    assert result["case"]["status"] == "completed" and result["result"] == "discrepancy"

    with app.state.session_factory() as session:
        follow_up = session.get(Instruction, result["follow_up_instruction_id"])
        assert follow_up.kind == "physical_inspection" and follow_up.status == "issued"
        assert [a["box"] for a in follow_up.focus["areas"]] == [boxes[0]["box"]]
        assert follow_up.focus["areas"][0]["box_mm"] == [2050.0, 2800.0, 4500.0, 3200.0]  # 5 mm pixels
        assert get_declaration(session, number=case["number"]).status == "held"
        events = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "review.decided")).all()
        assert len(events) == 1 and events[0].payload["decision"] == "escalate"
        assert check_audit_chain(session).ok

    # the labelled example: the scan as uploaded + the corrected boxes, recorded on the decision row
    label = result["label"]
    example = settings.data_dir / "feedback" / label["path"]
    annotation = json.loads((example / "annotation.json").read_text())
    assert annotation["boxes"] == boxes and annotation["corrected"] is True
    stored = cv2.imread(str(example / "image.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(stored, review_scan.high)

    # a retry is idempotent; another decision on the decided case is refused
    again = client.post(f"/v1/review/cases/{case['case_id']}/decision", json=body, headers=expert)
    assert again.status_code == 200 and again.json()["id"] == result["id"]
    other = client.post(f"/v1/review/cases/{case['case_id']}/decision", json={**body, "decision": "clear"},
                        headers=expert)
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_decided"

    # the dataset the training pipeline imports
    with app.state.session_factory() as session:
        snapshot = export_feedback(session, data_dir=settings.data_dir, out_dir=tmp_path / "feedback-xray",
                                   task=LabelTask.xray, classes=CLASSES)
    read_back = read_feedback(snapshot.path, kind="xray", classes=CLASSES)
    (only,) = list(read_back.xray_examples())
    assert only.boxes == ((3, tuple(boxes[0]["box"])),) and only.source["case_id"] == case["case_id"]
    assert np.array_equal(only.image, review_scan.high) and only.image_low is not None


@pytest.mark.parametrize(("decision", "declaration_status", "labelled_boxes"),
                         [("clear", "released", "none"), ("confirm", "held", "model")])
def test_clear_releases_and_confirm_holds(app, client, settings, make_key, open_case, decision,
                                          declaration_status, labelled_boxes):
    case = open_case()
    response = client.post(f"/v1/review/cases/{case['case_id']}/decision",
                           json={"decision": decision, "comment": "looked at it"},
                           headers={"X-API-Key": make_key("expert")})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["follow_up_instruction_id"] is None
    with app.state.session_factory() as session:
        assert get_declaration(session, number=case["number"]).status == declaration_status
    annotation = json.loads((settings.data_dir / "feedback" / body["label"]["path"] / "annotation.json").read_text())
    model = [{"class_name": f["class_name"], "box": [round(v, 1) for v in f["box"]]}
             for f in case["scan"]["findings"]]
    assert annotation["boxes"] == ([] if labelled_boxes == "none" else model)
    assert annotation["corrected"] is False


def test_only_experts_use_review(app, client, make_key, open_case):
    case = open_case()
    for role in ("scanner", "officer", "scientist", "admin"):
        key = {"X-API-Key": make_key(role)}
        for method, path in (("GET", "/v1/review/cases"), ("GET", f"/v1/review/cases/{case['case_id']}"),
                             ("POST", f"/v1/review/cases/{case['case_id']}/claim"),
                             ("POST", f"/v1/review/cases/{case['case_id']}/decision")):
            response = client.request(method, path, headers=key, json={"decision": "clear", "comment": "x"})
            assert response.status_code == 403, f"{role}: {method} {path}: {response.status_code}"
            assert response.json()["error"]["code"] == "forbidden"
    with app.state.session_factory() as session:
        assert session.get(Instruction, case["case_id"]).status == "issued"
        assert session.scalar(select(ReviewDecision)) is None


def test_bad_decisions_are_refused_and_nothing_is_written(app, client, settings, make_key, open_case):
    case = open_case()
    url = f"/v1/review/cases/{case['case_id']}/decision"
    first, second = {"X-API-Key": make_key("expert", name="ana")}, {"X-API-Key": make_key("expert", name="bo")}
    problems = [
        ({"decision": "maybe", "comment": "x"}, 422, "validation_error"),
        ({"decision": "confirm", "comment": ""}, 422, "validation_error"),
        ({"decision": "confirm", "comment": "x", "boxes": [{"class_name": "firearm", "box": [5, 5, 1, 1]}]},
         422, "validation_error"),
        ({"decision": "confirm", "comment": "x", "boxes": [{"class_name": "knife", "box": [1, 1, 5, 5]}]},
         422, "unknown_class"),
        ({"decision": "confirm", "comment": "x", "boxes": [{"class_name": "firearm", "box": [1, 1, 99999, 5]}]},
         422, "box_outside_scan"),
        ({"decision": "confirm", "comment": "x", "fields": {"invoice_no": "A-1"}}, 422, "fields_not_applicable"),
    ]
    for body, status, code in problems:
        response = client.post(url, json=body, headers=first)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert client.post("/v1/review/cases/999/decision", json={"decision": "clear", "comment": "x"},
                       headers=first).status_code == 404
    assert client.post(f"/v1/review/cases/{case['case_id']}/claim", headers=first).status_code == 200
    taken = client.post(url, json={"decision": "clear", "comment": "x"}, headers=second)
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "instruction_claimed"
    released = client.post(f"/v1/review/cases/{case['case_id']}/release", headers=second)
    assert released.status_code == 409
    with app.state.session_factory() as session:
        assert session.get(Instruction, case["case_id"]).status == "in_progress"
        assert session.scalar(select(ReviewDecision)) is None
    assert not (settings.data_dir / "feedback").exists() or not any((settings.data_dir / "feedback").rglob("*.json"))


def test_gzip_raw_format_is_plain_little_endian(app, client, make_key, open_case, review_scan):
    """What the browser receives: decompress, read as little-endian uint16, width x height row-major."""
    case = open_case()
    url = f"/v1/review/cases/{case['case_id']}/scan/pixels"
    raw = client.get(url, headers={"X-API-Key": make_key("expert")})
    # httpx already decompressed; the cache file is the exact gzip the server sent
    cached = next(Path(app.state.settings.data_dir, "cache", "review").glob("*.u16le.gz"))
    assert gzip.decompress(cached.read_bytes()) == raw.content == review_scan.high.astype("<u2").tobytes()
    assert int(raw.headers["x-image-width"]) == review_scan.high.shape[1]
