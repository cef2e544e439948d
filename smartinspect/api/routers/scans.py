"""``/v1/scans``: scanner stations post X-ray scans and get findings, a verdict and an overlay link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import BlobStoreDep, CurrentKey, RegistryDep, SessionDep, SettingsDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.metrics import timed_inference
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.scans import ScanPublic
from smartinspect.api.uploads import conflict_error, read_limited
from smartinspect.domain.reasons import client_reason
from smartinspect.domain.roles import Role
from smartinspect.domain.uploads import IdempotencyConflict, UploadRejected
from smartinspect.storage.models import Scan, ScanStatus
from smartinspect.storage.scans import get_scan
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.service import (
    ScanMetadata,
    analyse_scan,
    check_container_number,
    check_upload,
    render_stored_overlay,
    store_scan,
)

router = APIRouter(prefix="/v1/scans", tags=["scans"])
READERS = (Role.scanner, Role.officer, Role.expert, Role.admin)
_ERRORS = {code: {"model": ErrorPublic} for code in (404, 409, 413, 415, 422, 500, 503)}


def _analyzer(registry, settings=None, scanner_id: str | None = None) -> ScanAnalyzer:
    """The detector plus the anomaly model of the scanner's site; 503 while no detector is loaded."""
    try:
        return ScanAnalyzer.from_registry(registry, scanner_id=scanner_id,
                                          sites=settings.anomaly_sites if settings is not None else None)
    except KeyError as exc:
        raise ApiError(503, "model_unavailable", str(exc)) from exc


def to_public(scan: Scan) -> ScanPublic:
    result = scan.result or {}
    return ScanPublic(
        id=scan.id, status=scan.status, verdict=scan.verdict, reasons=result.get("reasons", []),
        findings=result.get("findings", []), empty_check=result.get("empty_check"),
        anomaly=result.get("anomaly"), scanner_id=scan.scanner_id,
        container_no=scan.container_no, declaration_no=scan.declaration_no, declared_empty=scan.declared_empty,
        scanned_at=scan.scanned_at, pixel_pitch_mm=scan.pixel_pitch_mm, width=scan.width, height=scan.height,
        bit_depth=scan.bit_depth, channels=scan.channels, dual_energy=scan.image_low_sha256 is not None,
        model={"name": scan.model_name, "version": scan.model_version}, timings_ms=result.get("timings_ms", {}),
        error=scan.error, created_at=scan.created_at, analysed_at=scan.analysed_at,
        links={"self": f"/v1/scans/{scan.id}", "overlay": f"/v1/scans/{scan.id}/overlay.png"},
    )


@router.post(
    "", response_model=ScanPublic, status_code=status.HTTP_201_CREATED,
    **secured(Role.scanner, Role.admin, responses=_ERRORS),
)
async def submit_scan(
    request: Request,
    response: Response,
    key: CurrentKey,
    session: SessionDep,
    blobs: BlobStoreDep,
    registry: RegistryDep,
    settings: SettingsDep,
    image: Annotated[UploadFile, File(description="PNG or TIFF; 8/16-bit gray or 8-bit RGB pseudo-colour (8-bit JPEG accepted)")],
    scanner_id: Annotated[str, Form(min_length=1, max_length=64)],
    container_no: Annotated[str, Form(description="ISO 6346, check digit verified")],
    scanned_at: Annotated[datetime, Form(description="ISO 8601; naive times are taken as UTC")],
    declaration_no: Annotated[str | None, Form(max_length=64)] = None,
    pixel_pitch_mm: Annotated[float, Form(gt=0.5, le=50.0)] = 5.0,
    declared_empty: Annotated[bool | None, Form(description="the declaration says the container is empty")] = None,
    image_low: Annotated[UploadFile | None, File(description="optional second (low) energy channel")] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> ScanPublic:
    """Store the scan, analyse it, and return the verdict. A retry with the same ``Idempotency-Key`` is safe."""
    analyzer = _analyzer(registry, settings, scanner_id)
    raw = await read_limited(image, settings.max_upload_bytes)
    raw_low = await read_limited(image_low, settings.max_upload_bytes) if image_low is not None else None
    try:
        metadata = ScanMetadata(
            scanner_id=scanner_id, container_no=check_container_number(container_no),
            declaration_no=declaration_no or None, pixel_pitch_mm=pixel_pitch_mm, declared_empty=declared_empty,
            scanned_at=scanned_at if scanned_at.tzinfo else scanned_at.replace(tzinfo=UTC),
        )
        upload = await run_in_threadpool(check_upload, raw, raw_low, settings)
    except UploadRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message) from exc
    try:
        scan, created = await run_in_threadpool(
            store_scan, session, blobs, upload=upload, metadata=metadata, api_key_id=key.id,
            idempotency_key=idempotency_key,
        )
    except IdempotencyConflict as exc:
        raise conflict_error(exc) from exc
    if not created:
        response.status_code = status.HTTP_200_OK
    if scan.status != ScanStatus.analysed:  # new, or a retry of one a crash left unfinished
        try:
            with timed_inference(request.app, lambda: scan.model_name):
                await run_in_threadpool(analyse_scan, session, blobs, analyzer, scan, upload.pixels,
                                        upload.low_pixels)
        except Exception as exc:
            message = ("the scan was stored but analysis failed; retry with the same Idempotency-Key "
                       f"({client_reason(exc)})")
            raise ApiError(500, "analysis_failed", message, {"scan_id": scan.id}) from exc
    return to_public(scan)


@router.get("/{scan_id}", response_model=ScanPublic, **secured(*READERS, responses=_ERRORS))
def read_scan(scan_id: str, session: SessionDep) -> ScanPublic:
    return to_public(_get_or_404(session, scan_id))


@router.get(
    "/{scan_id}/overlay.png", response_class=Response,
    **secured(*READERS, responses={**_ERRORS, 200: {"content": {"image/png": {}}, "description": "the overlay"}}),
)
def read_overlay(scan_id: str, session: SessionDep, blobs: BlobStoreDep, registry: RegistryDep) -> Response:
    scan = _get_or_404(session, scan_id)
    if scan.status != ScanStatus.analysed:
        raise ApiError(409, "not_analysed", f"scan {scan_id} is {scan.status}; no overlay yet", {"status": scan.status})
    png = render_stored_overlay(blobs, _analyzer(registry), scan)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def _get_or_404(session, scan_id: str) -> Scan:
    scan = get_scan(session, scan_id=scan_id)
    if scan is None:
        raise ApiError(404, "scan_not_found", f"no scan with id {scan_id!r}", {"scan_id": scan_id})
    return scan
