"""How clearance writes stay consistent under concurrency, on PostgreSQL and on SQLite.

Lock order (always the same, so no deadlock): per-number advisory lock → declaration row → instruction row →
audit chain head (last, held only for the append and the commit).

- PostgreSQL: ``SELECT … FOR UPDATE`` row locks; ``pg_advisory_xact_lock`` per declaration number, so a
  declaration being created and a finding arriving for it are serialised (neither misses the other).
- SQLite has one writer at a time and no row locks. A write transaction must take the write lock *before* it
  reads, or a concurrent commit makes its later write fail ("database is locked"). :func:`begin_write` takes it
  first (BEGIN IMMEDIATE semantics) by writing the chain head row without changing it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from smartinspect.storage.models_clearance import AuditChainHead, Declaration

_ADVISORY_NAMESPACE = 0x5E11_D3C1  # classid of clearance's per-number advisory locks


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def end_read_transaction(session: Session) -> None:
    """SQLite: commit a transaction that only read (e.g. the API key lookup), so the next write starts fresh.

    Call it before a write when the session may have read already; objects stay loaded. No-op on PostgreSQL.
    """
    if dialect(session) != "sqlite":
        return  # PostgreSQL: each statement reads fresh committed data; row locks do the rest
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


def begin_write(session: Session) -> None:
    """On SQLite, take the database write lock now (waits up to the busy timeout). No-op on PostgreSQL."""
    if dialect(session) == "sqlite":
        statement = update(AuditChainHead).where(AuditChainHead.id == 1).values(last_id=AuditChainHead.last_id)
        session.execute(statement, execution_options={"synchronize_session": False})


def _number_key(number: str) -> int:
    return int.from_bytes(hashlib.sha256(number.encode()).digest()[:4], "big", signed=True)


def lock_numbers(session: Session, numbers: Iterable[str]) -> None:
    """Serialise work on these declaration numbers (creation vs. arriving findings) until the transaction ends."""
    if dialect(session) != "postgresql":
        return  # SQLite: begin_write already serialises every writer
    keys = sorted({_number_key(n) for n in numbers})
    if keys:
        session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, k) FROM unnest(CAST(:keys AS integer[])) AS k ORDER BY k"),
            {"ns": _ADVISORY_NAMESPACE, "keys": keys},
        )


def lock_declaration(session: Session, *, number: str | None = None, declaration_id: int | None = None,
                     ) -> Declaration | None:
    """The declaration, row-locked until the transaction ends, with fresh attributes (None if absent)."""
    query = select(Declaration).with_for_update().execution_options(populate_existing=True)
    if number is not None:
        query = query.where(Declaration.number == number)
    else:
        query = query.where(Declaration.id == declaration_id)
    return session.scalar(query)
