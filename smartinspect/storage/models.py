"""The database tables (SQLAlchemy 2 typed declarative). Migrations in ``migrations/versions`` must match."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from smartinspect.domain.clearance import FindingSource
from smartinspect.storage.types import JSONType, UTCDateTime, utcnow

# Deterministic constraint names: needed by SQLite batch migrations, and stable across databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScanStatus(StrEnum):
    received = "received"  # blob stored and row committed, inference not finished
    analysed = "analysed"
    failed = "failed"


class ImageFormat(StrEnum):
    png = "png"
    tiff = "tiff"
    jpeg = "jpeg"  # 8-bit exports of real scanners (lossy; accepted, PNG/TIFF preferred)


def _new_scan_id() -> str:
    return uuid.uuid4().hex


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class ApiKey(Base):
    """A hashed API key with one role. The full key is shown once at creation and never stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the full key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"ApiKey(id={self.id!r}, name={self.name!r}, role={self.role!r}, prefix={self.prefix!r})"


class Scan(Base):
    """One uploaded X-ray scan: the stored image's identity, its metadata, and (once analysed) the result."""

    __tablename__ = "scans"
    __table_args__ = (
        UniqueConstraint("api_key_id", "idempotency_key"),
        CheckConstraint(_in("status", ScanStatus), name="status"),
        CheckConstraint(_in("image_format", ImageFormat), name="image_format"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_scan_id)  # uuid4 hex
    status: Mapped[str] = mapped_column(String(16), default=ScanStatus.received)
    scanner_id: Mapped[str] = mapped_column(String(64))
    container_no: Mapped[str] = mapped_column(String(16), index=True)
    declaration_no: Mapped[str | None] = mapped_column(String(64), index=True)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pixel_pitch_mm: Mapped[float] = mapped_column(Float)
    declared_empty: Mapped[bool | None] = mapped_column(Boolean)  # the declaration says "empty"; None: not said
    image_sha256: Mapped[str] = mapped_column(String(64))
    image_low_sha256: Mapped[str | None] = mapped_column(String(64))  # second (low-energy) channel, if sent
    image_format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bit_depth: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))  # upload + metadata: a true retry vs a reused key
    verdict: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    model_name: Mapped[str | None] = mapped_column(String(128))
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    api_key: Mapped[ApiKey] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"Scan(id={self.id!r}, status={self.status!r}, container_no={self.container_no!r})"


class ClearanceFinding(Base):
    """A finding handed from an AI service (X-ray now; documents and wood later) to the clearance workflow."""

    __tablename__ = "clearance_findings"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint(_in("source", FindingSource), name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_no: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(64))  # e.g. the scan id
    verdict: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"ClearanceFinding(id={self.id!r}, source={self.source!r}, source_id={self.source_id!r})"


# Each capability keeps its tables in its own module (one Base, one metadata, one migration chain).
from smartinspect.storage import models_clearance, models_documents, models_review, models_wood  # noqa: E402,F401
