"""Repository functions for scans. They flush; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from smartinspect.domain.uploads import IdempotencyConflict
from smartinspect.storage.models import Scan, ScanStatus
from smartinspect.storage.types import utcnow
from smartinspect.storage.uploads import find_by_idempotency_key, insert_idempotent


class IdempotencyKeyReused(IdempotencyConflict):
    """The Idempotency-Key was already used by this API key for a different scan (other bytes or metadata)."""

    kind = "scan"


def get_scan(session: Session, *, scan_id: str) -> Scan | None:
    return session.get(Scan, scan_id)


def find_scan_by_idempotency_key(session: Session, *, api_key_id: int, idempotency_key: str) -> Scan | None:
    return find_by_idempotency_key(session, Scan, api_key_id=api_key_id, idempotency_key=idempotency_key)


def add_scan(session: Session, *, scan: Scan) -> tuple[Scan, bool]:
    """Insert ``scan``, honouring its idempotency key. Returns ``(scan, created)``.

    A retry (same api key, idempotency key and ``request_sha256``) returns the stored scan with
    ``created=False``; the same idempotency key with another request raises :class:`IdempotencyKeyReused`.
    Two concurrent first attempts are settled by the unique constraint.
    """
    return insert_idempotent(session, scan, IdempotencyKeyReused)


def mark_scan_analysed(
    session: Session,
    *,
    scan: Scan,
    verdict: str,
    result: dict[str, Any],
    model_name: str | None,
    model_version: str | None,
) -> Scan:
    scan.status = ScanStatus.analysed
    scan.verdict = verdict
    scan.result = result
    scan.error = None
    scan.model_name = model_name
    scan.model_version = model_version
    scan.analysed_at = utcnow()
    session.flush()
    return scan


def mark_scan_failed(session: Session, *, scan: Scan, error: str) -> Scan:
    scan.status = ScanStatus.failed
    scan.error = error
    scan.analysed_at = utcnow()
    session.flush()
    return scan
