"""Tables for uploaded documents and their pages (issue 3).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0003_documents.py``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartinspect.storage.models import ApiKey, Base
from smartinspect.storage.types import JSONType, UTCDateTime, utcnow


class DocumentStatus(StrEnum):
    received = "received"  # file stored and row committed, OCR not finished
    processed = "processed"
    failed = "failed"



def _new_id() -> str:
    return uuid.uuid4().hex


class Document(Base):
    """One uploaded document file (image or PDF): its identity, the type hint, and once processed the OCR text
    and the check (extraction, validations, discrepancies)."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("api_key_id", "idempotency_key"),
        CheckConstraint("status IN ('received', 'processed', 'failed')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)  # uuid4 hex
    status: Mapped[str] = mapped_column(String(16), default=DocumentStatus.received)
    declaration_no: Mapped[str | None] = mapped_column(String(64), index=True)
    doc_type_hint: Mapped[str | None] = mapped_column(String(32))
    doc_type: Mapped[str | None] = mapped_column(String(32))  # the type extraction settled on
    filename: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))  # file + form fields: a true retry vs a reused key
    verdict: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # DocumentText.to_json()
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # check, timings, models
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    api_key: Mapped[ApiKey] = relationship(lazy="raise")
    pages: Mapped[list[DocumentPage]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentPage.page_index", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"Document(id={self.id!r}, status={self.status!r}, doc_type={self.doc_type!r})"


class DocumentPage(Base):
    """One page of a processed document: the upright page image (a blob) its line boxes refer to."""

    __tablename__ = "document_pages"
    __table_args__ = (
        UniqueConstraint("document_id", "page_index"),
        CheckConstraint("source IN ('ocr', 'text_layer')", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    page_index: Mapped[int] = mapped_column(Integer)  # 0-based
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    angle: Mapped[float] = mapped_column(Float)
    image_sha256: Mapped[str] = mapped_column(String(64))  # PNG of the upright page
    line_count: Mapped[int] = mapped_column(Integer)

    document: Mapped[Document] = relationship(back_populates="pages")

    def __repr__(self) -> str:
        return f"DocumentPage(document_id={self.document_id!r}, page_index={self.page_index!r})"
