"""What a decision teaches, and where an escalation sends the inspectors.

X-ray: the full scan + boxes (class, x1, y1, x2, y2 in scan pixels): the expert's corrected boxes, else the
model's findings when the expert confirms or escalates, else none when the expert clears (a clean scan is a
label too). Wood: the images + a genus. Documents: the page images + the fields, with the expert's corrections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smartinspect.domain.review import DecisionKind, LabelTask
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.evidence_sources import genus_of
from smartinspect.review.feedback import ExampleImage, LabelledExample
from smartinspect.review.types import CorrectedBox, DecisionInput
from smartinspect.storage.models import Scan


class LabelRefused(ValueError):
    """The decision's labels do not fit the case; ``code`` and ``details`` go to the 422 answer."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


@dataclass(frozen=True)
class ExampleSpec:
    """An example before its decision has an id."""

    task: LabelTask
    images: tuple[ExampleImage, ...]
    annotation: dict[str, Any] = field(default_factory=dict)

    def for_decision(self, decision_id: int) -> LabelledExample:
        return LabelledExample(self.task, decision_id, self.images, self.annotation)


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


def wood_genus(evidence: CaseEvidence, decision: DecisionInput) -> str:
    """The expert's genus; else the declared one when clearing, the model's top-1 when confirming an answer."""
    wood = evidence.wood
    genus = decision.labels.get("genus", "").strip()
    if not genus and wood is not None:
        if decision.decision == DecisionKind.clear:
            genus = genus_of(wood.declared) or ""
        elif decision.decision == DecisionKind.confirm:
            genus = wood.suggested_genus or ""
    if not genus:
        raise LabelRefused("genus_required", "a wood decision needs the genus (labels.genus): the model abstained "
                           "or gave no answer to confirm", {"field": "labels.genus"})
    return genus


def _wood_example(evidence: CaseEvidence, decision: DecisionInput) -> ExampleSpec | None:
    genus = wood_genus(evidence, decision)
    wood = evidence.wood
    if wood is None or not wood.images:
        return None
    suffixes = {"jpeg": "jpg"}
    images = tuple(ExampleImage(f"image_{i}.{suffixes.get(fmt, fmt)}", sha)
                   for i, (sha, fmt) in enumerate(zip(wood.images, wood.image_formats, strict=True)))
    annotation = {"source": "wood", "source_id": wood.screening_id,
                  "declaration_no": evidence.instruction.declaration_no, "decision": decision.decision.value,
                  "genus": genus, "species": decision.labels.get("species") or None,
                  "corrected": bool(decision.labels.get("genus")), "model_top": wood.top,
                  "declared": wood.declared, "abstained": wood.abstained}
    return ExampleSpec(LabelTask.wood, images, annotation)


def corrected_fields(evidence: CaseEvidence, decision: DecisionInput) -> list[dict[str, Any]]:
    """The document's fields with the expert's corrections applied (``corrected`` marks which)."""
    document = evidence.document
    known = {f["name"] for f in document.fields} if document else set()
    unknown = sorted(set(decision.fields) - known)
    if unknown:
        raise LabelRefused("unknown_field", f"no extracted field named {', '.join(unknown)} on this document",
                           {"unknown": unknown, "valid": sorted(known)})
    return [{**f, "value": decision.fields.get(f["name"], f["value"]), "corrected": f["name"] in decision.fields}
            for f in (document.fields if document else [])]


def _document_example(evidence: CaseEvidence, decision: DecisionInput) -> ExampleSpec | None:
    fields_out = corrected_fields(evidence, decision)
    document = evidence.document
    if document is None or not document.pages:
        return None
    images = tuple(ExampleImage(f"page_{p['number']}.png", p["sha256"]) for p in document.pages)
    annotation = {"source": "document", "source_id": document.document_id,
                  "declaration_no": evidence.instruction.declaration_no, "decision": decision.decision.value,
                  "pages": [{"number": p["number"], "file": f"page_{p['number']}.png", "width": p["width"],
                             "height": p["height"]} for p in document.pages],
                  "fields": fields_out}
    return ExampleSpec(LabelTask.document, images, annotation)


def build_example(evidence: CaseEvidence, decision: DecisionInput, *, xray_classes: tuple[str, ...],
                  ) -> ExampleSpec | None:
    """The labelled example of ``decision``, or None when the case's images are not available here.

    Raises :class:`LabelRefused` when the labels do not fit the case (checked before anything is written).
    """
    source = evidence.instruction.source
    if decision.boxes is not None and source != "xray":
        raise LabelRefused("boxes_not_applicable", f"boxes are for X-ray scans; this case is a {source} case")
    if decision.fields and source != "document":
        raise LabelRefused("fields_not_applicable", f"fields are for document cases; this case is a {source} case")
    if source == "xray":
        return _xray_example(evidence, decision, xray_classes)
    if source == "wood":
        return _wood_example(evidence, decision)
    if source == "document":
        return _document_example(evidence, decision)
    return None


def escalation_focus(evidence: CaseEvidence, decision: DecisionInput, *, case_id: int) -> dict[str, Any]:
    """The physical inspection's focus: the boxes to open (X-ray, with millimetres), or the genus / fields."""
    focus: dict[str, Any] = {"review_case": case_id, "notes": [decision.comment]}
    scan = evidence.scan
    if scan is not None:
        pitch = scan.pixel_pitch_mm
        focus.update(scan_id=scan.id, container_no=scan.container_no, overlay=f"/v1/scans/{scan.id}/overlay.png",
                     areas=[{"class_name": b.class_name, "box": [round(v, 1) for v in b.box],
                             "box_mm": [round(v * pitch, 1) for v in b.box]} for b in xray_boxes(scan, decision)])
    elif evidence.wood is not None:
        focus.update(screening_id=evidence.wood.screening_id, genus=decision.labels.get("genus"))
    elif evidence.document is not None:
        focus.update(document_id=evidence.document.document_id, fields=decision.fields)
    return focus
