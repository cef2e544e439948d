"""Expert review: the JSON API under ``/v1/review`` (this module) and the web UI under ``/review`` (review_ui).

A case is an ``image_review`` instruction of clearance; its id is the instruction's. Only the expert role may
use either, by API key header or by the UI's session cookie (changes then need the CSRF token).
"""

from __future__ import annotations

import pathlib
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.exc import OperationalError

from smartinspect.api.cases import CASE_SOURCES
from smartinspect.api.deps import DB_INT_MAX, BlobStoreDep, Offset, PathIndex, RegistryDep, SessionDep, SettingsDep
from smartinspect.api.errors import ApiError
from smartinspect.api.review_access import CurrentReviewer, reviewer_only
from smartinspect.api.review_views import case_detail, case_public, decision_public
from smartinspect.api.routers import review_ui
from smartinspect.api.routers.clearance.common import actor_of, api_error, write
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.review import CaseDetailPublic, CaseListPublic, CasePublic, DecisionCreate, DecisionPublic
from smartinspect.clearance.errors import ClearanceError
from smartinspect.clearance.fields import XRAY_CLASSES
from smartinspect.clearance.instructions import claim_instruction, release_instruction
from smartinspect.domain.roles import Role
from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.review.cases import CaseNotFound, get_case_summary, get_instruction_for_case, list_cases
from smartinspect.review.decisions import DecisionConflict, DecisionInvalid, decide_case, find_decision
from smartinspect.review.evidence import load_evidence
from smartinspect.review.types import CaseQuery, CaseType, CorrectedBox, DecisionInput, QueueSort, QueueState
from smartinspect.storage.models import Scan
from smartinspect.storage.scans import get_scan
from smartinspect.xray.viewer import RAW_FORMAT, material_layer_png, raw_pixels

router = APIRouter()
api = APIRouter(prefix="/v1/review", tags=["review"])
_ERRORS = {code: {"model": ErrorPublic} for code in (404, 409, 422)}
MAX_AGE_H = 100 * 366 * 24  # a century: age filters beyond it mean nothing and would overflow a timedelta
CaseId = Annotated[int, Path(ge=1, le=DB_INT_MAX, description="the case (image_review instruction) id")]


def xray_classes(registry) -> tuple[str, ...]:
    """The served detector's classes (corrected boxes must use them); clearance's list when none is loaded."""
    try:
        return tuple(registry.by_task(XRAY_TASK).spec.params["classes"])
    except (KeyError, AttributeError):
        return XRAY_CLASSES


def cache_dir(settings) -> pathlib.Path:
    return settings.data_dir / "cache" / "review"


def _not_found(exc: CaseNotFound) -> ApiError:
    return ApiError(404, "case_not_found", str(exc), {"case_id": exc.case_id})


@api.get("/cases", response_model=CaseListPublic, **reviewer_only())
def read_queue(
    reviewer: CurrentReviewer,
    db: SessionDep,
    type: Annotated[CaseType | None, Query(description="scan | wood | document")] = None,
    port: Annotated[str | None, Query(max_length=8)] = None,
    min_age_h: Annotated[float | None, Query(ge=0, le=MAX_AGE_H, description="issued at least this many hours ago")
                         ] = None,
    max_age_h: Annotated[float | None, Query(ge=0, le=MAX_AGE_H, description="issued at most this many hours ago")
                         ] = None,
    max_priority: Annotated[int | None, Query(ge=1, le=5, description="this urgency or more (1 most urgent)")] = None,
    state: QueueState = QueueState.open,
    sort: QueueSort = QueueSort.priority,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> CaseListPublic:
    """The queue of image_review cases, most urgent first by default."""
    query = CaseQuery(type=type, port=port or None, min_age_s=None if min_age_h is None else min_age_h * 3600,
                      max_age_s=None if max_age_h is None else max_age_h * 3600, max_priority=max_priority,
                      state=state, sort=sort, limit=limit, offset=offset)
    page = list_cases(db, query=query, me=actor_of(reviewer.key))
    return CaseListPublic(items=[case_public(c) for c in page.items], total=page.total, ports=page.ports)


@api.get("/cases/{case_id}", response_model=CaseDetailPublic, **reviewer_only(responses=_ERRORS))
def read_case(case_id: CaseId, reviewer: CurrentReviewer, db: SessionDep, registry: RegistryDep) -> CaseDetailPublic:
    """The case with its scan, wood screening or document, the declaration and related documents."""
    try:
        instruction = get_instruction_for_case(db, case_id=case_id)
        summary = get_case_summary(db, case_id=case_id, me=actor_of(reviewer.key))
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    evidence = load_evidence(db, instruction, sources=CASE_SOURCES)
    return case_detail(summary, evidence, find_decision(db, case_id=case_id), classes=xray_classes(registry))


def _change_claim(db, reviewer, case_id: int, change) -> CasePublic:
    actor = actor_of(reviewer.key)
    try:
        get_instruction_for_case(db, case_id=case_id)
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    write(db, lambda: change(db, instruction_id=case_id, actor=actor, role=Role.expert))  # clearance's errors
    return case_public(get_case_summary(db, case_id=case_id, me=actor))


@api.post("/cases/{case_id}/claim", response_model=CasePublic, **reviewer_only(responses=_ERRORS))
def claim_case(case_id: CaseId, reviewer: CurrentReviewer, db: SessionDep) -> CasePublic:
    """Take the case (issued → in progress, held by you). Claiming your own claim again is a no-op."""
    return _change_claim(db, reviewer, case_id, claim_instruction)


@api.post("/cases/{case_id}/release", response_model=CasePublic, **reviewer_only(responses=_ERRORS))
def release_case(case_id: CaseId, reviewer: CurrentReviewer, db: SessionDep) -> CasePublic:
    """Hand the case back to the queue (only the holder can)."""
    return _change_claim(db, reviewer, case_id, release_instruction)


def _decision_input(body: DecisionCreate) -> DecisionInput:
    boxes = None if body.boxes is None else tuple(CorrectedBox(b.class_name, b.box) for b in body.boxes)
    return DecisionInput(decision=body.decision, comment=body.comment, boxes=boxes, labels=dict(body.labels),
                         fields=dict(body.fields))


@api.post("/cases/{case_id}/decision", response_model=DecisionPublic, status_code=status.HTTP_201_CREATED,
          **reviewer_only(responses=_ERRORS))
def decide(case_id: CaseId, body: DecisionCreate, reviewer: CurrentReviewer, response: Response, db: SessionDep,
           blobs: BlobStoreDep, settings: SettingsDep, registry: RegistryDep) -> DecisionPublic:
    """Confirm, clear or escalate: completes the review (and issues a physical inspection on escalate), writes
    the labelled example and the audit event, in one commit. The same decision again returns it (200)."""
    try:
        outcome = decide_case(db, blobs, case_id=case_id, decision=_decision_input(body),
                              actor=actor_of(reviewer.key), api_key_id=reviewer.key.id, data_dir=settings.data_dir,
                              xray_classes=xray_classes(registry), sources=CASE_SOURCES)
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    except (DecisionConflict, DecisionInvalid) as exc:
        raise ApiError(409 if isinstance(exc, DecisionConflict) else 422, exc.code, exc.message, exc.details) from exc
    except ClearanceError as exc:
        raise api_error(exc) from exc
    except OperationalError as exc:
        if "locked" not in str(exc).lower() and "deadlock" not in str(exc).lower():
            raise
        raise ApiError(503, "database_busy", "the database is busy; retry", headers={"Retry-After": "1"}) from exc
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    summary = get_case_summary(db, case_id=case_id, me=actor_of(reviewer.key))
    return decision_public(outcome.decision, summary)


def _case_scan(db, case_id: int) -> Scan:
    try:
        instruction = get_instruction_for_case(db, case_id=case_id)
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    scan = get_scan(db, scan_id=instruction.source_id or "") if instruction.source == "xray" else None
    if scan is None:
        raise ApiError(404, "scan_not_available", f"case {case_id} has no X-ray scan here", {"case_id": case_id})
    return scan


_PIXELS = {200: {"content": {"application/octet-stream": {}},
                 "description": "gzip (Content-Encoding) of width*height little-endian uint16 samples"}}


@api.get("/cases/{case_id}/scan/pixels", response_class=Response,
         **reviewer_only(responses={**_ERRORS, **_PIXELS}))
def read_scan_pixels(case_id: CaseId, request: Request, db: SessionDep, blobs: BlobStoreDep,
                     settings: SettingsDep) -> Response:
    """The scan's stored samples for the viewer (window/level is applied in the browser)."""
    scan = _case_scan(db, case_id)
    etag = f'"{scan.image_sha256[:32]}-{RAW_FORMAT}"'
    headers = {"Cache-Control": "private, max-age=86400", "ETag": etag, "Vary": "Cookie, Authorization, X-API-Key"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    raw = raw_pixels(blobs, scan, cache_dir=cache_dir(settings))
    headers.update({"Content-Encoding": "gzip", "X-Image-Width": str(raw.width), "X-Image-Height": str(raw.height),
                    "X-Bit-Depth": str(raw.bit_depth), "X-Sample-Format": RAW_FORMAT})
    return Response(raw.gzipped, media_type="application/octet-stream", headers=headers)


@api.get("/cases/{case_id}/scan/materials.png", response_class=Response,
         **reviewer_only(responses={**_ERRORS, 200: {"content": {"image/png": {}}}}))
def read_material_layer(case_id: CaseId, db: SessionDep, blobs: BlobStoreDep, settings: SettingsDep) -> Response:
    """RGBA material colours from dual energy (organic orange, inorganic green, metal blue), for the overlay."""
    scan = _case_scan(db, case_id)
    png = material_layer_png(blobs, scan, cache_dir=cache_dir(settings))
    if png is None:
        raise ApiError(404, "no_material_data", "single-energy scan: materials need the low-energy channel",
                       {"case_id": case_id})
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _blob_image(blobs, digest: str) -> Response:
    data = blobs.get(digest)
    media = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg" if data[:2] == b"\xff\xd8" else (
        "application/octet-stream")
    return Response(data, media_type=media, headers={"Cache-Control": "private, max-age=86400"})


@api.get("/cases/{case_id}/wood/images/{index}", response_class=Response,
         **reviewer_only(responses={**_ERRORS, 200: {"content": {"image/png": {}, "image/jpeg": {}}}}))
def read_wood_image(case_id: CaseId, index: PathIndex, db: SessionDep, blobs: BlobStoreDep,
                    ) -> Response:
    """An end-grain image of the case's wood screening."""
    try:
        wood = load_evidence(db, get_instruction_for_case(db, case_id=case_id), sources=CASE_SOURCES).wood
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    if wood is None or index >= len(wood.images):
        raise ApiError(404, "image_not_available", f"case {case_id} has no wood image {index}", {"case_id": case_id})
    return _blob_image(blobs, wood.images[index])


@api.get("/cases/{case_id}/document/pages/{number}.png", response_class=Response,
         **reviewer_only(responses={**_ERRORS, 200: {"content": {"image/png": {}}}}))
def read_document_page(case_id: CaseId, number: PathIndex, db: SessionDep, blobs: BlobStoreDep,
                       ) -> Response:
    """A page image of the case's document (fields are drawn over it by the page)."""
    try:
        document = load_evidence(db, get_instruction_for_case(db, case_id=case_id), sources=CASE_SOURCES).document
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    page = next((p for p in (document.pages if document else []) if p["number"] == number), None)
    if page is None:
        raise ApiError(404, "page_not_available", f"case {case_id} has no document page {number}",
                       {"case_id": case_id})
    return _blob_image(blobs, page["sha256"])


@api.get("/cases/{case_id}/related/{document_id}/pages/{number}.png", response_class=Response,
         **reviewer_only(responses={**_ERRORS, 200: {"content": {"image/png": {}}}}))
def read_related_page(case_id: CaseId, document_id: Annotated[str, Path(max_length=64)],
                      number: PathIndex, db: SessionDep, blobs: BlobStoreDep) -> Response:
    """A page of a document filed for the case's declaration (the side-by-side view)."""
    from smartinspect.storage.models_documents import Document

    try:
        instruction = get_instruction_for_case(db, case_id=case_id)
    except CaseNotFound as exc:
        raise _not_found(exc) from exc
    document = db.get(Document, document_id)
    page = None
    if document is not None and document.declaration_no == instruction.declaration_no:
        page = next((p for p in document.pages if p.page_index == number), None)
    if page is None:
        raise ApiError(404, "page_not_available", f"no page {number} of a document {document_id!r} filed for "
                       f"declaration {instruction.declaration_no}", {"case_id": case_id})
    return _blob_image(blobs, page.image_sha256)


router.include_router(api)
router.include_router(review_ui.router)
