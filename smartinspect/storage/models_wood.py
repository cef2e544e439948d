"""Tables for wood screenings (issue 4): one screening (a declaration's photos and the call) and its images.

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0004_wood.py``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartinspect.storage.models import ApiKey, Base, _in
from smartinspect.storage.types import JSONType, UTCDateTime, utcnow


class WoodScreeningStatus(StrEnum):
    received = "received"  # images stored and row committed, inference not finished
    analysed = "analysed"
    failed = "failed"


class WoodRecommendation(StrEnum):
    clear = "clear"
    lab_sample = "lab_sample"
    expert_review = "expert_review"


def _new_id() -> str:
    return uuid.uuid4().hex


class WoodScreening(Base):
    """One screening: the officer's photos of a consignment's end grain, the declaration, and (once analysed) the
    call. ``result`` holds the whole typed result (:class:`smartinspect.wood.types.ScreeningResult`) as JSON."""

    __tablename__ = "wood_screenings"
    __table_args__ = (
        UniqueConstraint("api_key_id", "idempotency_key"),
        CheckConstraint(_in("status", WoodScreeningStatus), name="status"),
        CheckConstraint(f"recommendation IS NULL OR {_in('recommendation', WoodRecommendation)}",
                        name="recommendation"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)  # uuid4 hex
    status: Mapped[str] = mapped_column(String(16), default=WoodScreeningStatus.received)
    declaration_no: Mapped[str] = mapped_column(String(64), index=True)
    declared_species: Mapped[str] = mapped_column(String(200))
    n_images: Mapped[int] = mapped_column(Integer)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))  # images + fields: a true retry vs a reused key
    recommendation: Mapped[str | None] = mapped_column(String(16))
    abstained: Mapped[bool | None] = mapped_column(Boolean)
    call_taxon: Mapped[str | None] = mapped_column(String(128))  # species, genus, or None when abstained
    cites_appendix: Mapped[str | None] = mapped_column(String(4))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    model_name: Mapped[str | None] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    api_key: Mapped[ApiKey] = relationship(lazy="raise")
    images: Mapped[list[WoodScreeningImage]] = relationship(
        back_populates="screening", order_by="WoodScreeningImage.position", lazy="selectin",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"WoodScreening(id={self.id!r}, status={self.status!r}, declaration_no={self.declaration_no!r})"


class WoodScreeningImage(Base):
    """One photo of a screening, stored content-addressed in the blob store."""

    __tablename__ = "wood_screening_images"
    __table_args__ = (UniqueConstraint("screening_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[str] = mapped_column(ForeignKey("wood_screenings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based, in upload order
    image_sha256: Mapped[str] = mapped_column(String(64))
    image_format: Mapped[str] = mapped_column(String(8))  # jpeg | png | webp | tiff
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    screening: Mapped[WoodScreening] = relationship(back_populates="images", lazy="raise")

    def __repr__(self) -> str:
        return f"WoodScreeningImage(screening_id={self.screening_id!r}, position={self.position!r})"
