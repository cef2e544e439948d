"""What a decision teaches, and where an escalation sends the inspectors: the generic part. What each finding
source's example and focus are is the source's own ``CaseSource`` hook (smartinspect.review.sources); e.g. X-ray:
the full scan + boxes, wood: the images + a genus, documents: the page images + the corrected fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smartinspect.domain.review import LabelTask
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.feedback import ExampleImage, LabelledExample
from smartinspect.review.sources import CaseSources
from smartinspect.review.types import DecisionInput


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


def build_example(evidence: CaseEvidence, decision: DecisionInput, *, sources: CaseSources,
                  xray_classes: tuple[str, ...]) -> ExampleSpec | None:
    """The labelled example of ``decision``, or None when the case's images are not available here.

    Raises :class:`LabelRefused` when the labels do not fit the case (checked before anything is written).
    """
    source = evidence.instruction.source
    hooks = sources.get(source)
    if decision.boxes is not None and not (hooks and hooks.accepts_boxes):
        raise LabelRefused("boxes_not_applicable", f"boxes are for X-ray scans; this case is a {source} case")
    if decision.fields and not (hooks and hooks.accepts_fields):
        raise LabelRefused("fields_not_applicable", f"fields are for document cases; this case is a {source} case")
    return hooks.example(evidence, decision, classes=xray_classes) if hooks is not None else None


def escalation_focus(evidence: CaseEvidence, decision: DecisionInput, *, case_id: int,
                     sources: CaseSources) -> dict[str, Any]:
    """The physical inspection's focus: the case, the expert's note, and what the source's hook points at."""
    focus: dict[str, Any] = {"review_case": case_id, "notes": [decision.comment]}
    hooks = sources.get(evidence.instruction.source)
    if hooks is not None:
        focus.update(hooks.focus(evidence, decision))
    return focus
