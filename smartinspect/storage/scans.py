"""Repository functions for scans. They flush; the caller commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinspect.storage.models import Scan, ScanStatus
from smartinspect.storage.types import utcnow


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used by this API key for a different request (other bytes or metadata)."""

    def __init__(self, existing: Scan) -> None:
        self.existing = existing
        super().__init__(
            f"idempotency key {existing.idempotency_key!r} was already used for scan {existing.id} "
            "with a different upload or metadata"
        )


def get_scan(session: Session, *, scan_id: str) -> Scan | None:
    return session.get(Scan, scan_id)


def find_scan_by_idempotency_key(session: Session, *, api_key_id: int, idempotency_key: str) -> Scan | None:
    query = select(Scan).where(Scan.api_key_id == api_key_id, Scan.idempotency_key == idempotency_key)
    return session.scalar(query)


def _replay(existing: Scan, attempt: Scan) -> tuple[Scan, bool]:
    if existing.request_sha256 != attempt.request_sha256:
        raise IdempotencyKeyReused(existing)
    return existing, False


def add_scan(session: Session, *, scan: Scan) -> tuple[Scan, bool]:
    """Insert ``scan``, honouring its idempotency key. Returns ``(scan, created)``.

    A retry (same api key, idempotency key and ``request_sha256``) returns the stored scan with
    ``created=False``; the same idempotency key with another request raises :class:`IdempotencyKeyReused`.
    Two concurrent first attempts are settled by the unique constraint.
    """
    key = scan.idempotency_key
    if key is not None:
        existing = find_scan_by_idempotency_key(session, api_key_id=scan.api_key_id, idempotency_key=key)
        if existing is not None:
            return _replay(existing, scan)
    try:
        with session.begin_nested():
            session.add(scan)
    except IntegrityError:
        if key is None:
            raise
        existing = find_scan_by_idempotency_key(session, api_key_id=scan.api_key_id, idempotency_key=key)
        if existing is None:  # another constraint failed (e.g. an unknown api_key_id)
            raise
        return _replay(existing, scan)
    return scan, True


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
