"""Repository functions for uploaded documents. They flush; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.domain.uploads import IdempotencyConflict
from smartinspect.storage.models_documents import Document, DocumentPage, DocumentStatus
from smartinspect.storage.types import utcnow
from smartinspect.storage.uploads import find_by_idempotency_key, insert_idempotent


class DocumentKeyReused(IdempotencyConflict):
    """The Idempotency-Key was already used by this API key for a different upload (other bytes or fields)."""

    kind = "document"


def get_document(session: Session, *, document_id: str) -> Document | None:
    return session.get(Document, document_id)


def find_document_by_idempotency_key(session: Session, *, api_key_id: int, idempotency_key: str) -> Document | None:
    return find_by_idempotency_key(session, Document, api_key_id=api_key_id, idempotency_key=idempotency_key)


def add_document(session: Session, *, document: Document) -> tuple[Document, bool]:
    """Insert ``document`` honouring its idempotency key; returns ``(document, created)``.

    A retry (same api key, idempotency key and ``request_sha256``) returns the stored row with ``created=False``;
    the same key with another request raises :class:`DocumentKeyReused`. Concurrent first attempts are settled
    by the unique constraint.
    """
    return insert_idempotent(session, document, DocumentKeyReused)


def processed_documents_for(session: Session, *, declaration_no: str, exclude_id: str | None = None) -> list[Document]:
    """The processed documents filed under a declaration number, oldest first."""
    query = select(Document).where(Document.declaration_no == declaration_no,
                                   Document.status == DocumentStatus.processed)
    if exclude_id is not None:
        query = query.where(Document.id != exclude_id)
    return list(session.scalars(query.order_by(Document.created_at, Document.id)))


def mark_document_processed(session: Session, *, document: Document, doc_type: str, verdict: str,
                            text: dict[str, Any], result: dict[str, Any], pages: list[DocumentPage]) -> Document:
    document.pages.clear()
    session.flush()  # the old pages go before the new ones take their (document_id, page_index)
    document.pages.extend(pages)
    document.status = DocumentStatus.processed
    document.doc_type = doc_type
    document.verdict = verdict
    document.text = text
    document.result = result
    document.error = None
    document.processed_at = utcnow()
    session.flush()
    return document


def mark_document_failed(session: Session, *, document: Document, error: str) -> Document:
    document.status = DocumentStatus.failed
    document.error = error
    document.processed_at = utcnow()
    session.flush()
    return document
