"""HTTP shapes of expert review. Internal types are in :mod:`smartinspect.review.types`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from smartinspect.domain.review import DecisionKind
from smartinspect.review.types import CaseType

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class BoxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_name: str = Field(min_length=1, max_length=64, description="one of the detector's classes")
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in scan pixels, x1 < x2, y1 < y2")

    @field_validator("box")
    @classmethod
    def _ordered(cls, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = box
        if not (0 <= x1 < x2 and 0 <= y1 < y2):
            raise ValueError("needs 0 <= x1 < x2 and 0 <= y1 < y2 (scan pixels)")
        return box


class DecisionCreate(BaseModel):
    """An expert's decision. ``boxes`` absent: the model's findings stand; ``[]``: nothing is there."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: DecisionKind
    comment: str = Field(min_length=1, max_length=4000, description="why; goes to the instruction and the audit")
    boxes: list[BoxIn] | None = Field(default=None, max_length=500, description="X-ray: corrected boxes")
    labels: dict[ShortText, ShortText] = Field(default_factory=dict, max_length=20,
                                               description='e.g. {"genus": "Dalbergia"} for wood')
    fields: dict[ShortText, Annotated[str, StringConstraints(max_length=1000)]] = Field(
        default_factory=dict, max_length=200, description="documents: corrected field values by field name")


class FollowUpPublic(BaseModel):
    id: int
    kind: str
    status: str
    focus: dict[str, Any]


class CaseLinks(BaseModel):
    self: str
    page: str = Field(description="the case in the web UI")


class CasePublic(BaseModel):
    id: int = Field(description="the image_review instruction's id")
    type: CaseType
    source: str
    source_id: str
    declaration_no: str
    port: str
    priority: int = Field(description="1 most urgent ... 5 routine")
    status: str = Field(description="the instruction: issued | in_progress | completed | cancelled")
    status_text: str
    result: str | None
    assignee: str | None
    held_by_me: bool
    open: bool
    created_at: datetime
    age_s: float
    headline: str
    decided: bool
    follow_up: FollowUpPublic | None
    links: CaseLinks


class CaseListPublic(BaseModel):
    items: list[CasePublic]
    total: int
    ports: list[str]


class LabelPublic(BaseModel):
    task: str
    path: str = Field(description="the example's directory in the feedback store")
    sha256: str = Field(description="of its annotation.json")


class DecisionPublic(BaseModel):
    id: int
    case_id: int
    decision: DecisionKind
    comment: str
    result: str = Field(description="the result the review instruction was completed with")
    actor: str
    created_at: datetime
    corrections: dict[str, Any]
    follow_up_instruction_id: int | None
    label: LabelPublic | None = Field(description="None when the case's images are not available here")
    case: CasePublic


class CaseDetailPublic(BaseModel):
    """The case with what the expert looks at; a part that is not available is null, with a note."""

    case: CasePublic
    scan: dict[str, Any] | None
    wood: dict[str, Any] | None
    document: dict[str, Any] | None
    declaration: dict[str, Any] | None
    related_documents: list[dict[str, Any]] | None
    notes: dict[str, str] = Field(description="why a part is missing, by part")
    decision: DecisionPublic | None
