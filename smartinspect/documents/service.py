"""Document intake for the API: check, store before OCR, OCR, extract, validate, cross-check, hand to clearance.

Order matters, as for scans: the file blob is written and the row committed (``received``) before OCR starts; a
crash after that leaves a row that ``recover_pending_documents`` (or a retry with the same Idempotency-Key)
finishes. Rejected input (intake errors) is refused before anything is written; a file in which OCR finds no
text, or no readable document in it, is kept and gets the failed check ``document_unreadable`` (REVIEW).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

import cv2
from sqlalchemy.orm import Session

from smartinspect.clearance.findings import record_finding
from smartinspect.config import Settings
from smartinspect.documents.check import check_document, finding_payload, finding_verdict
from smartinspect.documents.extract import extract_document
from smartinspect.documents.types import DocType, DocumentExtraction
from smartinspect.domain.clearance import FindingSource
from smartinspect.ocr.engine import OcrEngine, ReadResult
from smartinspect.ocr.intake import DocumentRejected, IntakeDocument, IntakeLimits, open_document
from smartinspect.ocr.types import DocumentText
from smartinspect.storage.blobs import BlobStore, make_blob_store
from smartinspect.storage.documents import (
    DocumentKeyReused,
    mark_document_failed,
    mark_document_processed,
    processed_documents_for,
)
from smartinspect.storage.models_documents import Document, DocumentPage, DocumentStatus
from smartinspect.storage.uploads import pending_rows, run_analysis, store_upload

log = logging.getLogger(__name__)
DOC_TYPES = tuple(t.value for t in DocType if t != DocType.unknown)
PAGE_JPEG_QUALITY = 90  # stored page images; served as PNG


@dataclass(frozen=True)
class DocumentUpload:
    data: bytes
    filename: str | None
    doc_type_hint: str | None
    declaration_no: str | None

    def fingerprint(self) -> str:
        fields = json.dumps({"doc_type": self.doc_type_hint, "declaration_no": self.declaration_no}, sort_keys=True)
        digest = hashlib.sha256(self.data)
        digest.update(b"|fields|" + fields.encode())
        return digest.hexdigest()


def check_doc_type(hint: str | None) -> str | None:
    if hint is None or hint == "":
        return None
    if hint not in DOC_TYPES:
        raise DocumentRejected("invalid_doc_type", f"doc_type {hint!r} is not one of {', '.join(DOC_TYPES)}", 422)
    return hint


def check_upload(upload: DocumentUpload, settings: Settings) -> IntakeDocument:
    """Every intake check, and the pages decoded; raises :class:`DocumentRejected` (nothing stored yet)."""
    check_doc_type(upload.doc_type_hint)
    return open_document(upload.data, limits=IntakeLimits.from_settings(settings), filename=upload.filename)


def store_document(session: Session, blobs: BlobStore, *, upload: DocumentUpload, intake: IntakeDocument,
                   api_key_id: int, idempotency_key: str | None) -> tuple[Document, bool]:
    """Write the file blob, then insert and commit the row (status ``received``). Returns ``(document, created)``.

    A reused Idempotency-Key is answered before the blob is written (a 409 leaves no orphan blob)."""
    def build() -> Document:
        return Document(
            status=DocumentStatus.received, declaration_no=upload.declaration_no,
            doc_type_hint=upload.doc_type_hint, filename=(upload.filename or None) and upload.filename[:255],
            media_type=intake.media_type, size_bytes=len(upload.data), file_sha256=blobs.put(upload.data),
            page_count=len(intake.pages), api_key_id=api_key_id, idempotency_key=idempotency_key,
            request_sha256=upload.fingerprint(),
        )

    return store_upload(session, Document, api_key_id=api_key_id, idempotency_key=idempotency_key,
                        fingerprint=upload.fingerprint(), conflict=DocumentKeyReused, build=build)


def process_document(session: Session, blobs: BlobStore, engine: OcrEngine, document: Document, *,
                     settings: Settings, intake: IntakeDocument | None = None) -> Document:
    """OCR the stored document, check it against its consignment, store pages and result, hand to clearance.

    ``intake``: the pages already decoded at upload; without it (recovery) the stored file is decoded again.
    A file with no readable document (no text, an X-ray, a photo) is processed like any other and gets the
    failed check ``document_unreadable`` (REVIEW: an officer looks at it). A failure rolls back, records the
    error on the row (status ``failed``) and re-raises; the row and the file stay for recovery.
    """
    def work() -> None:
        nonlocal intake
        if intake is None:
            intake = open_document(blobs.get(document.file_sha256), limits=IntakeLimits.from_settings(settings))
        read = engine.read_intake(intake)
        text = DocumentText(pages=[p.text for p in read.pages], media_type=intake.media_type)
        _finish(session, blobs, engine, document, read, text)  # no text at all: document_unreadable (REVIEW)

    run_analysis(session, work,
                 mark_failed=lambda error: mark_document_failed(session, document=document, error=error))
    return document


def _finish(session: Session, blobs: BlobStore, engine: OcrEngine, document: Document, read: ReadResult,
            text: DocumentText) -> None:
    others = _other_extractions(session, document)
    declaration = _declaration_reference(session, document.declaration_no)
    hint = document.doc_type_hint
    doc_type = hint or extract_document(text).doc_type.value  # the key this document goes by in discrepancies
    check = check_document(text, type_hint=doc_type, others=others, declaration=declaration,
                           name=_name(doc_type, document.id))
    pages = [DocumentPage(page_index=p.text.index, width=p.text.width, height=p.text.height, source=p.text.source,
                          angle=p.text.angle, image_sha256=_store_page_image(blobs, p.image),
                          line_count=len(p.text.lines)) for p in read.pages]
    verdict = finding_verdict(check)
    result = {"check": check.to_json(), "timings_ms": read.timings_ms, "models": engine.models,
              "name": _name(check.extraction.doc_type.value, document.id)}
    mark_document_processed(session, document=document, doc_type=check.extraction.doc_type.value, verdict=verdict,
                            text=text.to_json(), result=result, pages=pages)
    payload = {**finding_payload(check), "document_id": document.id}
    record_finding(session, source=FindingSource.document, source_id=document.id, verdict=verdict, payload=payload,
                   declaration_no=document.declaration_no)


def _name(doc_type: str, document_id: str) -> str:
    return f"{doc_type}:{document_id[:8]}"


def _other_extractions(session: Session, document: Document) -> dict[str, DocumentExtraction]:
    """The consignment's other processed documents (same declaration number), by their result name."""
    if not document.declaration_no:
        return {}
    others = {}
    for other in processed_documents_for(session, declaration_no=document.declaration_no, exclude_id=document.id):
        stored = (other.result or {}).get("check", {}).get("extraction")
        if stored:
            others[_name(stored["doc_type"], other.id)] = DocumentExtraction.from_json(stored)
    return others


def _declaration_reference(session: Session, number: str | None) -> DocumentExtraction | None:
    """The filed declaration as the cross-check's reference, when the clearance layer has it."""
    if not number:
        return None
    try:
        from smartinspect.clearance.service import get_declaration
        from smartinspect.documents.crosscheck import declaration_to_extraction
    except ModuleNotFoundError:  # clearance not installed in this build
        return None
    declaration = get_declaration(session, number=number)
    return declaration_to_extraction(declaration) if declaration is not None else None


def _store_page_image(blobs: BlobStore, image) -> str:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, PAGE_JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the page image")
    return blobs.put(buffer.tobytes())


def page_png(blobs: BlobStore, page: DocumentPage) -> bytes:
    """The stored upright page as PNG (the frame of every line and field polygon of that page)."""
    import numpy as np

    image = cv2.imdecode(np.frombuffer(blobs.get(page.image_sha256), np.uint8), cv2.IMREAD_COLOR)
    ok, buffer = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("could not encode the page image")
    return buffer.tobytes()



def recover_pending_documents(settings: Settings) -> list[str]:
    """Process every document left ``received`` or ``failed`` (e.g. by a crash). Returns the ids that succeeded."""
    from smartinspect.runtime import ModelRegistry
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    upgrade_database(settings.database_url)
    db = make_engine(settings.database_url)
    blobs = make_blob_store(settings)
    engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)
    done = []
    with make_session_factory(db)() as session:
        for document in pending_rows(session, Document, done_status=DocumentStatus.processed):
            try:
                process_document(session, blobs, engine, document, settings=settings)
                done.append(document.id)
            except Exception as exc:  # noqa: BLE001 - keep going; the row says why
                log.error("document %s still fails: %s", document.id, exc)
    db.dispose()
    return done
