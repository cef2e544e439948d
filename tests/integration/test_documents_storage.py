"""The documents tables on SQLite and PostgreSQL: idempotent insert, pages replaced on re-processing, cascade."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from smartinspect.storage.apikeys import create_api_key
from smartinspect.storage.documents import (
    DocumentKeyReused,
    add_document,
    mark_document_processed,
    processed_documents_for,
)
from smartinspect.storage.models_documents import Document, DocumentPage


def _document(api_key_id: int, *, request: str = "a" * 64, key: str | None = "k1") -> Document:
    return Document(declaration_no="DEC-9", media_type="image/png", size_bytes=10, file_sha256="b" * 64,
                    page_count=1, api_key_id=api_key_id, idempotency_key=key, request_sha256=request)


def _page(index: int) -> DocumentPage:
    return DocumentPage(page_index=index, width=10, height=20, source="ocr", angle=0.0, image_sha256="c" * 64,
                        line_count=3)


def test_documents_are_stored_idempotently_and_pages_replaced(session):
    api_key, _ = create_api_key(session, name="officer", role="officer")
    session.commit()
    document, created = add_document(session, document=_document(api_key.id))
    session.commit()
    assert created
    again, created = add_document(session, document=_document(api_key.id))
    assert not created and again.id == document.id
    with pytest.raises(DocumentKeyReused):
        add_document(session, document=_document(api_key.id, request="d" * 64))
    for pages in ([_page(0), _page(1)], [_page(0)]):  # re-processing replaces the pages
        mark_document_processed(session, document=document, doc_type="invoice", verdict="CLEAR",
                                text={"pages": []}, result={"check": {}}, pages=pages)
        session.commit()
    assert session.scalar(select(func.count()).select_from(DocumentPage)) == 1
    assert [d.id for d in processed_documents_for(session, declaration_no="DEC-9")] == [document.id]
    assert processed_documents_for(session, declaration_no="DEC-9", exclude_id=document.id) == []
    session.delete(document)
    session.commit()
    assert session.scalar(select(func.count()).select_from(DocumentPage)) == 0
