"""The review vocabulary and its typed values. Dependency-free: the tables, services and HTTP schemas import it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from smartinspect.domain.review import DecisionKind


class CaseType(StrEnum):
    """What an expert looks at; follows the source of the finding behind the image_review instruction."""

    scan = "scan"  # X-ray scan (source xray)
    wood = "wood"  # wood screening (source wood)
    document = "document"  # document discrepancy (source document)


SOURCE_CASE_TYPE = {"xray": CaseType.scan, "wood": CaseType.wood, "document": CaseType.document}
CASE_TYPE_SOURCE = {case_type: source for source, case_type in SOURCE_CASE_TYPE.items()}


class QueueState(StrEnum):
    open = "open"  # issued or in progress
    mine = "mine"  # held by the caller
    decided = "decided"  # completed or cancelled
    all = "all"


class QueueSort(StrEnum):
    priority = "priority"  # most urgent first, then oldest
    oldest = "oldest"
    newest = "newest"
    port = "port"


@dataclass(frozen=True)
class CorrectedBox:
    """A box the expert confirms, moves or draws: class name and x1, y1, x2, y2 in scan pixels."""

    class_name: str
    box: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        x1, y1, x2, y2 = self.box
        if not all(math.isfinite(v) for v in self.box) or not (0 <= x1 < x2 and 0 <= y1 < y2):
            raise ValueError(f"box {list(self.box)} must have 0 <= x1 < x2 and 0 <= y1 < y2 (scan pixels)")


@dataclass(frozen=True)
class DecisionInput:
    """What the expert decides. ``boxes`` None: the model's findings stand; [] means "nothing there"."""

    decision: DecisionKind
    comment: str
    boxes: tuple[CorrectedBox, ...] | None = None
    labels: dict[str, str] = field(default_factory=dict)  # e.g. {"genus": "Dalbergia"}
    fields: dict[str, str] = field(default_factory=dict)  # corrected document fields, by field name

    def canonical(self) -> dict[str, Any]:
        """JSON-ready, key-sorted form (stored, and hashed to tell a retry from a different decision)."""
        boxes = None if self.boxes is None else [{"class_name": b.class_name, "box": list(b.box)} for b in self.boxes]
        return {"decision": self.decision.value, "comment": self.comment, "boxes": boxes,
                "labels": dict(sorted(self.labels.items())), "fields": dict(sorted(self.fields.items()))}


@dataclass(frozen=True)
class CaseQuery:
    """Queue filters. Ages in seconds since the instruction was issued; priority 1 is the most urgent."""

    type: CaseType | None = None
    port: str | None = None
    min_age_s: float | None = None
    max_age_s: float | None = None
    max_priority: int | None = None  # 1..5: show this urgency and more urgent
    state: QueueState = QueueState.open
    sort: QueueSort = QueueSort.priority
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class FollowUp:
    """An instruction a decision issued (escalate: a physical inspection)."""

    id: int
    kind: str
    status: str
    focus: dict[str, Any]


@dataclass(frozen=True)
class CaseSummary:
    """One queue row: an image_review instruction and what the expert needs to pick it."""

    id: int  # the instruction id
    type: CaseType
    source: str
    source_id: str
    declaration_no: str
    port: str
    priority: int
    status: str  # instruction status
    result: str | None
    assignee: str | None
    held_by_me: bool
    created_at: datetime
    age_s: float
    headline: str
    decided: bool
    follow_up: FollowUp | None = None

    @property
    def open(self) -> bool:
        return self.status in ("issued", "in_progress")

    @property
    def status_text(self) -> str:
        if self.status == "completed":
            return f"completed: {self.result}" if self.result else "completed"
        return self.status.replace("_", " ")

    @property
    def age_text(self) -> str:
        return format_age(self.age_s)


@dataclass(frozen=True)
class CasePage:
    items: list[CaseSummary]
    total: int
    ports: list[str]  # ports with cases in this state, for the filter


def format_age(seconds: float) -> str:
    """``42 s``, ``17 min``, ``5.2 h``, ``3.1 d``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
