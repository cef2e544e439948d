"""Tables for expert review cases and decisions (issue 6).

The case queue is clearance's ``image_review`` instructions; this module holds only what clearance does not: the
expert's decision on each case, and the labelled example (feedback file) it produced.
Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0005_review.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartinspect.domain.clearance import FindingSource
from smartinspect.domain.review import DecisionKind, LabelTask
from smartinspect.storage.models import Base, _in
from smartinspect.storage.types import JSONType, UTCDateTime, utcnow


class ReviewDecision(Base):
    """An expert's decision on one case (one per image_review instruction) and the label file it wrote."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        UniqueConstraint("instruction_id"),
        CheckConstraint(_in("decision", DecisionKind), name="decision"),
        CheckConstraint(_in("source", FindingSource), name="source"),
        CheckConstraint(_in("label_task", LabelTask), name="label_task"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id", ondelete="RESTRICT"))
    declaration_no: Mapped[str] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text)
    corrections: Mapped[dict[str, Any]] = mapped_column(JSONType)  # DecisionInput.canonical(): boxes, labels, fields
    request_sha256: Mapped[str] = mapped_column(String(64))  # of the canonical input: a retry vs another decision
    result: Mapped[str] = mapped_column(String(16))  # the instruction result the decision set
    follow_up_instruction_id: Mapped[int | None] = mapped_column(ForeignKey("instructions.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    label_task: Mapped[str | None] = mapped_column(String(16))  # None: the decision yields no training label
    label_path: Mapped[str | None] = mapped_column(String(500))  # the example's directory, relative to the store
    label_sha256: Mapped[str | None] = mapped_column(String(64))  # of the example's annotation file
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"ReviewDecision(id={self.id!r}, instruction_id={self.instruction_id!r}, decision={self.decision!r})"


class ReviewSessionEnd(Base):
    """A review UI session ended by logout: its cookie is refused from then on, though still signed and young.

    ``session_sha256`` is the sha256 of the session's random CSRF token (the cookie's identity); nothing in this
    row can be turned back into a working cookie. Rows older than the session lifetime may be deleted.
    """

    __tablename__ = "review_session_ends"

    session_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
