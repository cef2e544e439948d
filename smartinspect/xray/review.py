"""The X-ray scan in expert review (a ``CaseSource``): the scan as evidence, the boxes a decision teaches (the
expert's corrected boxes, else the model's findings when the expert confirms or escalates, else none when the
expert clears: a clean scan is a label too), and the areas an escalation sends the inspectors to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from smartinspect.domain.review import DecisionKind, LabelTask
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.feedback import ExampleImage
from smartinspect.review.labels import ExampleSpec, LabelRefused
from smartinspect.review.types import CorrectedBox, DecisionInput
from smartinspect.storage.models import ClearanceFinding, Scan
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.scans import get_scan


def _model_boxes(scan: Scan) -> list[CorrectedBox]:
    findings = (scan.result or {}).get("findings") or []
    return [CorrectedBox(f["class_name"], tuple(float(v) for v in f["box"])) for f in findings]


def xray_boxes(scan: Scan, decision: DecisionInput) -> list[CorrectedBox]:
    """The boxes a decision stands for (see the module docstring)."""
    if decision.boxes is not None:
        return list(decision.boxes)
    return [] if decision.decision == DecisionKind.clear else _model_boxes(scan)


def _check_boxes(scan: Scan, boxes: list[CorrectedBox], classes: tuple[str, ...]) -> None:
    for i, b in enumerate(boxes):
        if b.class_name not in classes:
            raise LabelRefused("unknown_class", f"box {i}: class {b.class_name!r} is not one of {', '.join(classes)}",
                               {"index": i, "class_name": b.class_name, "valid": list(classes)})
        if b.box[2] > scan.width or b.box[3] > scan.height:
            raise LabelRefused("box_outside_scan", f"box {i} {list(b.box)} reaches outside the "
                               f"{scan.width}x{scan.height} scan", {"index": i, "box": list(b.box),
                                                                   "width": scan.width, "height": scan.height})


def _xray_example(evidence: CaseEvidence, decision: DecisionInput, classes: tuple[str, ...]) -> ExampleSpec | None:
    scan = evidence.scan
    if scan is None:
        return None
    boxes = xray_boxes(scan, decision)
    _check_boxes(scan, boxes, classes)
    images = [ExampleImage(f"image.{scan.image_format}", scan.image_sha256)]
    if scan.image_low_sha256:
        images.append(ExampleImage(f"image_low.{scan.image_format}", scan.image_low_sha256))
    annotation = {
        "source": "xray", "source_id": scan.id, "declaration_no": scan.declaration_no,
        "decision": decision.decision.value, "corrected": decision.boxes is not None,
        "image": {"file": images[0].name, "low_file": images[1].name if len(images) > 1 else None,
                  "width": scan.width, "height": scan.height, "bit_depth": scan.bit_depth, "channels": scan.channels,
                  "pixel_pitch_mm": scan.pixel_pitch_mm},
        "boxes": [{"class_name": b.class_name, "box": [round(v, 1) for v in b.box]} for b in boxes],
        "model": {"name": scan.model_name, "version": scan.model_version},
        "model_findings": (scan.result or {}).get("findings") or [],
    }
    return ExampleSpec(LabelTask.xray, tuple(images), annotation)


class XrayCases:
    """X-ray scans as review cases (smartinspect.review.sources.CaseSource)."""

    source = "xray"
    accepts_boxes = True
    accepts_fields = False

    def load(self, db: Session, instruction: Instruction, finding: ClearanceFinding | None) -> dict[str, Any]:
        scan = get_scan(db, scan_id=instruction.source_id or "")
        return {"scan": scan, "scan_note": None if scan is not None else
                f"Scan {instruction.source_id} is not in this database."}

    def example(self, evidence: CaseEvidence, decision: DecisionInput, *,
                classes: tuple[str, ...]) -> ExampleSpec | None:
        return _xray_example(evidence, decision, classes)

    def focus(self, evidence: CaseEvidence, decision: DecisionInput) -> dict[str, Any]:
        scan = evidence.scan
        if scan is None:
            return {}
        pitch = scan.pixel_pitch_mm
        return {"scan_id": scan.id, "container_no": scan.container_no, "overlay": f"/v1/scans/{scan.id}/overlay.png",
                "areas": [{"class_name": b.class_name, "box": [round(v, 1) for v in b.box],
                           "box_mm": [round(v * pitch, 1) for v in b.box]} for b in xray_boxes(scan, decision)]}


XRAY_CASES = XrayCases()
