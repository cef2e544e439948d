"""``/v1/documents``: officers upload a declaration's documents and get the extraction, the validations and the
discrepancies against the declaration and the consignment's other documents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import BlobStoreDep, CurrentKey, PathIndex, RegistryDep, SessionDep, SettingsDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.metrics import timed_inference
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.documents import DocumentPublic
from smartinspect.api.uploads import conflict_error, read_limited
from smartinspect.api.uploads import declaration_number as check_declaration_number
from smartinspect.config import Settings
from smartinspect.documents.service import DocumentUpload, check_upload, page_png, process_document, store_document
from smartinspect.domain.reasons import client_reason
from smartinspect.domain.roles import Role
from smartinspect.domain.uploads import IdempotencyConflict
from smartinspect.ocr.engine import CLS_TASK, DET_TASK, REC_TASK, OcrEngine, OcrModelsMissing
from smartinspect.ocr.intake import DocumentRejected
from smartinspect.storage.documents import get_document
from smartinspect.storage.models_documents import Document, DocumentStatus

router = APIRouter(prefix="/v1/documents", tags=["documents"])
SUBMITTERS = (Role.officer, Role.admin)
READERS = (Role.officer, Role.expert, Role.admin)
_ERRORS = {code: {"model": ErrorPublic} for code in (404, 409, 413, 415, 422, 500, 503)}


def ocr_engine(request: Request, registry, settings: Settings) -> OcrEngine:
    """The app's OCR engine, rebuilt only when the registry serves other OCR models (hot reload)."""
    try:
        parts = tuple(registry.by_task(task) for task in (DET_TASK, CLS_TASK, REC_TASK))
    except KeyError as exc:
        raise ApiError(503, "model_unavailable", str(OcrModelsMissing(registry))) from exc
    cached = getattr(request.app.state, "ocr_engine", None)
    if cached is not None and all(a is b for a, b in zip(cached[0], parts, strict=True)):
        return cached[1]
    engine = OcrEngine.from_settings(registry, settings)
    request.app.state.ocr_engine = (parts, engine)
    return engine


def to_public(document: Document) -> DocumentPublic:
    result = document.result or {}
    check = result.get("check", {})
    extraction = check.get("extraction", {})
    texts = {p["index"]: p for p in (document.text or {}).get("pages", [])}
    base = f"/v1/documents/{document.id}"
    pages = []
    for page in document.pages:
        lines = texts.get(page.page_index, {}).get("lines", [])
        pages.append({"index": page.page_index, "width": page.width, "height": page.height, "source": page.source,
                      "angle": page.angle, "text": "\n".join(line["text"] for line in lines), "lines": lines,
                      "image": f"{base}/pages/{page.page_index}.png"})
    return DocumentPublic(
        id=document.id, status=document.status, verdict=document.verdict, name=result.get("name"),
        declaration_no=document.declaration_no, doc_type_hint=document.doc_type_hint, doc_type=document.doc_type,
        doc_type_confidence=extraction.get("doc_type_confidence"), language=extraction.get("language"),
        filename=document.filename, media_type=document.media_type, size_bytes=document.size_bytes,
        page_count=document.page_count, pages=pages, fields=extraction.get("fields", []),
        items=extraction.get("items", []), validations=check.get("validations", []),
        discrepancies=check.get("discrepancies", []), timings_ms=result.get("timings_ms", {}),
        models=result.get("models", {}), error=document.error, created_at=document.created_at,
        processed_at=document.processed_at, links={"self": base, "pages": [p["image"] for p in pages]},
    )


@router.post("", response_model=DocumentPublic, status_code=status.HTTP_201_CREATED,
             **secured(*SUBMITTERS, responses=_ERRORS))
async def submit_document(
    request: Request,
    response: Response,
    key: CurrentKey,
    session: SessionDep,
    blobs: BlobStoreDep,
    registry: RegistryDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="PDF (multi-page; text layer used when present), PNG, JPEG or TIFF")],
    doc_type: Annotated[str | None, Form(description="hint: declaration | invoice | packing_list | bill_of_lading")
                        ] = None,
    declaration_no: Annotated[str | None, Form(max_length=64, description="the declaration this document belongs to")
                              ] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> DocumentPublic:
    """Store the document, OCR it, extract and check its key elements. A retry with the same Idempotency-Key
    returns the stored result (200) instead of a second document."""
    engine = ocr_engine(request, registry, settings)
    raw = await read_limited(file, settings.document_max_bytes)
    upload = DocumentUpload(raw, file.filename, doc_type or None, check_declaration_number(declaration_no))
    try:
        intake = await run_in_threadpool(check_upload, upload, settings)
    except DocumentRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message, {"filename": file.filename}) from exc
    try:
        document, created = await run_in_threadpool(
            store_document, session, blobs, upload=upload, intake=intake, api_key_id=key.id,
            idempotency_key=idempotency_key)
    except IdempotencyConflict as exc:
        raise conflict_error(exc) from exc
    if not created:
        response.status_code = status.HTTP_200_OK
    if document.status != DocumentStatus.processed:  # new, or a retry of one a crash left unfinished
        try:
            with timed_inference(request.app, lambda: "ocr"):
                await run_in_threadpool(process_document, session, blobs, engine, document, settings=settings,
                                        intake=intake)
        except Exception as exc:
            message = ("the document was stored but processing failed; retry with the same Idempotency-Key "
                       f"({client_reason(exc)})")
            raise ApiError(500, "processing_failed", message, {"document_id": document.id}) from exc
    return to_public(document)


@router.get("/{document_id}", response_model=DocumentPublic, **secured(*READERS, responses=_ERRORS))
def read_document(document_id: str, session: SessionDep) -> DocumentPublic:
    return to_public(_get_or_404(session, document_id))


@router.get(
    "/{document_id}/pages/{page}.png", response_class=Response,
    **secured(*READERS, responses={**_ERRORS, 200: {"content": {"image/png": {}}, "description": "the page"}}),
)
def read_page_image(document_id: str, page: PathIndex, session: SessionDep, blobs: BlobStoreDep) -> Response:
    """The upright page image (after the engine's rotation/deskew); line and field polygons are in its pixels."""
    document = _get_or_404(session, document_id)
    stored = next((p for p in document.pages if p.page_index == page), None)
    if stored is None:
        message = f"document {document_id} has no page {page} (pages: {[p.page_index for p in document.pages]})"
        raise ApiError(404, "page_not_found", message, {"document_id": document_id, "page": page})
    return Response(page_png(blobs, stored), media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _get_or_404(session, document_id: str) -> Document:
    document = get_document(session, document_id=document_id)
    if document is None:
        raise ApiError(404, "document_not_found", f"no document with id {document_id!r}", {"document_id": document_id})
    return document
