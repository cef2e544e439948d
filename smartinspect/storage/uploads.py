"""The one upload pipeline of the model kinds (scans, documents, wood screenings):

read → check (the kind's own checks, before anything is stored) → :func:`store_upload` (idempotency settled
before any blob is written; blobs; row ``received``; commit) → :func:`run_analysis` (the model, then the result
in one commit; a failure rolls back, marks the row ``failed`` with the reason, commits and re-raises) → recovery
(:func:`pending_rows`: rows left ``received`` or ``failed`` by a crash, analysed again from their blobs).

A record type plugs in by having ``id``, ``api_key_id``, ``idempotency_key`` and ``request_sha256`` columns with
``UNIQUE (api_key_id, idempotency_key)``, and a ``status``. The one conflict error is
:class:`smartinspect.domain.uploads.IdempotencyConflict` (each kind's subclass names it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinspect.domain.uploads import IdempotencyConflict

Row = TypeVar("Row")


def find_by_idempotency_key(session: Session, model: type[Row], *, api_key_id: int, idempotency_key: str,
                            ) -> Row | None:
    query = select(model).where(model.api_key_id == api_key_id,  # type: ignore[attr-defined]
                                model.idempotency_key == idempotency_key)  # type: ignore[attr-defined]
    return session.scalar(query)


def replay(existing: Row, fingerprint: str, conflict: type[IdempotencyConflict]) -> tuple[Row, bool]:
    """A retry of ``existing`` (same fingerprint): ``(existing, False)``; another request: ``conflict``."""
    if existing.request_sha256 != fingerprint:  # type: ignore[attr-defined]
        raise conflict(existing)
    return existing, False


def insert_idempotent(session: Session, row: Row, conflict: type[IdempotencyConflict]) -> tuple[Row, bool]:
    """Insert ``row`` honouring its idempotency key (flushes, no commit). Two concurrent first attempts are
    settled by the unique constraint: the loser's insert fails inside a SAVEPOINT and it gets the winner's row."""
    model, key = type(row), row.idempotency_key  # type: ignore[attr-defined]
    api_key_id, fingerprint = row.api_key_id, row.request_sha256  # type: ignore[attr-defined]
    if key is not None:
        existing = find_by_idempotency_key(session, model, api_key_id=api_key_id, idempotency_key=key)
        if existing is not None:
            return replay(existing, fingerprint, conflict)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if key is None:
            raise
        existing = find_by_idempotency_key(session, model, api_key_id=api_key_id, idempotency_key=key)
        if existing is None:  # another constraint failed (e.g. an unknown api_key_id)
            raise
        return replay(existing, fingerprint, conflict)
    return row, True


def store_upload(session: Session, model: type[Row], *, api_key_id: int, idempotency_key: str | None,
                 fingerprint: str, conflict: type[IdempotencyConflict], build: Callable[[], Row]) -> tuple[Row, bool]:
    """Store a checked upload: a reused key is answered first (no blob written for a conflict or a retry), then
    ``build()`` writes the blobs and returns the new row, which is inserted and committed. ``(row, created)``."""
    if idempotency_key is not None:
        existing = find_by_idempotency_key(session, model, api_key_id=api_key_id, idempotency_key=idempotency_key)
        session.commit()  # end the lookup's transaction: no lock is held while the blobs are written
        if existing is not None:
            return replay(existing, fingerprint, conflict)
    row, created = insert_idempotent(session, build(), conflict)
    session.commit()
    return row, created


def run_analysis(session: Session, work: Callable[[], Any], *, mark_failed: Callable[[str], Any],
                 passthrough: Sequence[type[BaseException]] = ()) -> Any:
    """Run ``work`` (the model and the result's writes) and commit. Any failure other than ``passthrough`` rolls
    the partial result back, records ``"<Type>: <message>"`` through ``mark_failed``, commits that, re-raises."""
    try:
        result = work()
        session.commit()
    except tuple(passthrough):
        raise
    except Exception as exc:
        session.rollback()
        mark_failed(f"{type(exc).__name__}: {exc}")
        session.commit()
        raise
    return result


def pending_rows(session: Session, model: type[Row], *, done_status: str) -> list[Row]:
    """Rows a crash left unfinished (any status but ``done_status``), oldest first: what recovery analyses."""
    query = select(model).where(model.status != done_status)  # type: ignore[attr-defined]
    return list(session.scalars(query.order_by(model.created_at)))  # type: ignore[attr-defined]
