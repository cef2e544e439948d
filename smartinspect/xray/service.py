"""Scan intake: validate, store before inference, analyse, record the result and hand findings to clearance.

Order matters for "nothing is lost": blobs are written (atomically, content-addressed) and the scan row is
committed with status ``received`` before inference starts. A crash after that leaves a row that
``recover_pending_scans`` (or a retry with the same Idempotency-Key) finishes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from smartinspect.clearance.findings import record_finding
from smartinspect.config import Settings
from smartinspect.domain.clearance import FindingSource
from smartinspect.domain.containers import verify_container_number
from smartinspect.domain.uploads import UploadRejected
from smartinspect.runtime import ModelRegistry
from smartinspect.storage.blobs import BlobStore, make_blob_store
from smartinspect.storage.models import Scan, ScanStatus
from smartinspect.storage.scans import IdempotencyKeyReused, mark_scan_analysed, mark_scan_failed
from smartinspect.storage.uploads import pending_rows, run_analysis, store_upload
from smartinspect.xray.decode import ImageHeader, decode_pixels, read_header
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.types import Detections, ScanAnalysis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanMetadata:
    scanner_id: str
    container_no: str  # normalised, ISO 6346-valid
    declaration_no: str | None
    scanned_at: datetime
    pixel_pitch_mm: float
    declared_empty: bool | None

    def canonical(self) -> str:
        values = asdict(self) | {"scanned_at": self.scanned_at.isoformat()}
        return json.dumps(values, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check: its bytes, headers and decoded pixels."""

    image: bytes
    header: ImageHeader
    pixels: np.ndarray
    image_low: bytes | None
    low_pixels: np.ndarray | None

    def fingerprint(self, metadata: ScanMetadata) -> str:
        digest = hashlib.sha256(self.image)
        digest.update(b"|low|" + (self.image_low or b""))
        digest.update(b"|meta|" + metadata.canonical().encode())
        return digest.hexdigest()


def check_container_number(raw: str) -> str:
    try:
        return verify_container_number(raw)
    except ValueError as exc:
        raise UploadRejected("invalid_container_number", str(exc), 422) from exc


def check_upload(image: bytes, image_low: bytes | None, settings: Settings) -> CheckedUpload:
    """Header checks first (format, pixels, bit depth), then decoding; raises :class:`UploadRejected`."""
    header = read_header(image, max_pixels=settings.max_image_pixels, min_side=settings.min_image_side)
    pixels = decode_pixels(image, header)
    low_pixels = None
    if image_low is not None:
        low_header = read_header(image_low, max_pixels=settings.max_image_pixels, min_side=settings.min_image_side)
        if (low_header.width, low_header.height) != (header.width, header.height) or low_header.channels != 1:
            msg = (f"the second energy channel must be a gray image the size of the first "
                   f"({header.width}x{header.height}); got {low_header.width}x{low_header.height} "
                   f"with {low_header.channels} channel(s)")
            raise UploadRejected("energy_channel_mismatch", msg, 422)
        low_pixels = decode_pixels(image_low, low_header)
    return CheckedUpload(image, header, pixels, image_low, low_pixels)


def store_scan(session: Session, blobs: BlobStore, *, upload: CheckedUpload, metadata: ScanMetadata,
               api_key_id: int, idempotency_key: str | None) -> tuple[Scan, bool]:
    """Write blobs, then insert and commit the scan row (status ``received``). Returns ``(scan, created)``.

    A reused Idempotency-Key is answered before any blob is written, so a conflict (409) leaves no orphan blob
    (a concurrent first attempt that loses the race may still leave one: ``smartinspect db gc-blobs`` takes it).
    """
    fingerprint = upload.fingerprint(metadata)

    def build() -> Scan:
        image_sha = blobs.put(upload.image)
        low_sha = blobs.put(upload.image_low) if upload.image_low is not None else None
        h = upload.header
        return Scan(
            status=ScanStatus.received, scanner_id=metadata.scanner_id, container_no=metadata.container_no,
            declaration_no=metadata.declaration_no, scanned_at=metadata.scanned_at,
            pixel_pitch_mm=metadata.pixel_pitch_mm, declared_empty=metadata.declared_empty,
            image_sha256=image_sha, image_low_sha256=low_sha, image_format=h.format, width=h.width,
            height=h.height, bit_depth=h.bit_depth, channels=h.channels, api_key_id=api_key_id,
            idempotency_key=idempotency_key, request_sha256=fingerprint,
        )

    return store_upload(session, Scan, api_key_id=api_key_id, idempotency_key=idempotency_key,
                        fingerprint=fingerprint, conflict=IdempotencyKeyReused, build=build)


def analysis_to_json(analysis: ScanAnalysis) -> dict:
    """The stored (and served) form of a result."""
    data = asdict(analysis)
    data["verdict"] = analysis.verdict.value
    data["empty_check"]["mismatch"] = analysis.empty_check.mismatch
    return json.loads(json.dumps(data, default=_json_number))


def _json_number(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def analyse_scan(session: Session, blobs: BlobStore, analyzer: ScanAnalyzer, scan: Scan,
                 pixels: np.ndarray | None = None, low_pixels: np.ndarray | None = None) -> Scan:
    """Run the pipeline on a stored scan, record the result and the clearance finding, commit.

    ``pixels``: the image already decoded at intake; without it (recovery) the stored blob is decoded.
    Any failure rolls back the partial result, records the error on the row (status ``failed``) and re-raises;
    the blobs and the row stay, so the scan can be recovered.
    """
    def work() -> None:
        nonlocal pixels, low_pixels
        if pixels is None:
            pixels = decode_pixels(blobs.get(scan.image_sha256), _stored_header(scan))
        if low_pixels is None and scan.image_low_sha256 and analyzer.uses_low_energy:
            low_pixels = decode_pixels(blobs.get(scan.image_low_sha256), _stored_header(scan, channels=1))
        pitch_mm, declared_empty = scan.pixel_pitch_mm, scan.declared_empty
        if not (session.new or session.dirty or session.deleted):
            session.commit()  # end the read transaction: no database lock is held during inference
        result = analyzer.analyse(pixels, pitch_mm=pitch_mm, declared_empty=declared_empty, low=low_pixels)
        payload = analysis_to_json(result.analysis)
        verdict = result.analysis.verdict.value
        mark_scan_analysed(session, scan=scan, verdict=verdict, result=payload,
                           model_name=result.analysis.model_name, model_version=result.analysis.model_version)
        record_finding(session, source=FindingSource.xray, source_id=scan.id, verdict=verdict, payload=payload,
                       declaration_no=scan.declaration_no)

    run_analysis(session, work, mark_failed=lambda error: mark_scan_failed(session, scan=scan, error=error))
    return scan


def _stored_header(scan: Scan, channels: int | None = None) -> ImageHeader:
    return ImageHeader(scan.image_format, scan.width, scan.height, "", scan.bit_depth, channels or scan.channels)


def stored_detections(scan: Scan, class_names: list[str]) -> Detections:
    """The findings of an analysed scan, back as :class:`Detections` (for drawing)."""
    findings = (scan.result or {}).get("findings", [])
    index = {name: i for i, name in enumerate(class_names)}
    return Detections(
        np.array([f["box"] for f in findings], dtype=np.float32).reshape(-1, 4),
        np.array([f["score"] for f in findings], dtype=np.float32),
        np.array([index.get(f["class_name"], 0) for f in findings], dtype=np.int64),
    )


def render_stored_overlay(blobs: BlobStore, analyzer: ScanAnalyzer, scan: Scan) -> bytes:
    from smartinspect.xray.decode import to_attenuation
    from smartinspect.xray.overlay import render_overlay

    high = decode_pixels(blobs.get(scan.image_sha256), _stored_header(scan))
    low = None
    if scan.image_low_sha256:
        low = to_attenuation(decode_pixels(blobs.get(scan.image_low_sha256), _stored_header(scan, channels=1)))
    result = scan.result or {}
    box = result.get("empty_check", {}).get("interior_box")
    return render_overlay(to_attenuation(high), stored_detections(scan, analyzer.class_names), analyzer.class_names,
                          att_low=low, window=analyzer.detector.params.window,
                          interior_box=tuple(box) if box else None, anomaly=result.get("anomaly"))


def recover_pending_scans(settings: Settings) -> list[str]:
    """Analyse every scan left ``received`` or ``failed`` (e.g. by a crash). Returns the ids that succeeded."""
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    blobs = make_blob_store(settings)
    registry = ModelRegistry.from_settings(settings)
    done = []
    with make_session_factory(engine)() as session:
        for scan in pending_rows(session, Scan, done_status=ScanStatus.analysed):
            try:
                analyzer = ScanAnalyzer.from_registry(registry, scanner_id=scan.scanner_id,
                                                      sites=settings.anomaly_sites)
                analyse_scan(session, blobs, analyzer, scan)
                done.append(scan.id)
            except Exception as exc:  # keep going; the row says why
                log.error("scan %s still fails: %s", scan.id, exc)
    engine.dispose()
    return done
