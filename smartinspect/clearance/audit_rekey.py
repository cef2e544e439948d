"""One-time upgrade of an audit chain written before the chain was keyed (plain sha256) to the HMAC chain.

The old chain is verified first, link by link, with the old hash: only an intact chain is re-keyed (a tampered
one stays as it is, for `audit verify` to report). Then, in one transaction, every event's ``prev_hash`` and
``hash`` are recomputed with the key, the head row follows, and the signed checkpoint is written on commit. The
append-only triggers are lifted for that transaction only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from smartinspect.clearance.audit import GENESIS_HASH, check_audit_chain, event_hash, normalise_payload
from smartinspect.clearance.audit_anchor import remember_head, session_key
from smartinspect.clearance.errors import AuditChainBroken
from smartinspect.storage.models_clearance import AuditChainHead, AuditEvent

_COLUMNS = (AuditEvent.id, AuditEvent.created_at, AuditEvent.event_type, AuditEvent.subject, AuditEvent.actor,
            AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)


@dataclass(frozen=True)
class RekeyReport:
    events: int
    rekeyed: bool  # False: the chain was keyed already


def _hash(row, prev: str, key: bytes | None) -> str:
    return event_hash(prev, key=key, id=row.id, created_at=row.created_at, event_type=row.event_type,
                      subject=row.subject, actor=row.actor, payload=normalise_payload(row.payload))


def rekey_legacy_chain(session: Session) -> RekeyReport:
    """Re-hash an intact unkeyed chain with the key (commits). Raises AuditChainBroken when it is not intact."""
    current = check_audit_chain(session)
    if current.ok:
        return RekeyReport(events=current.events_checked, rekeyed=False)
    if (current.check, current.first_broken_id) != ("hashes", 1):
        raise AuditChainBroken(f"the chain fails the {current.check} check at event {current.first_broken_id} "
                               f"({current.reason}); re-keying only upgrades an intact unkeyed chain")
    rows = session.execute(select(*_COLUMNS).order_by(AuditEvent.id)).all()
    prev = GENESIS_HASH
    for expected_id, row in enumerate(rows, start=1):
        if row.id != expected_id or row.prev_hash != prev or _hash(row, prev, None) != row.hash:
            raise AuditChainBroken(f"event {row.id} does not verify with the old unkeyed hash either: the chain "
                                   "was tampered with; not re-keyed (run `smartinspect audit verify`)")
        prev = row.hash
    head = session.get(AuditChainHead, 1)
    if head is None or (head.last_id, head.last_hash) != (len(rows), prev):
        raise AuditChainBroken("the chain head does not match the chain's end; not re-keyed")
    session.commit()  # end the read; the rewrite is one write transaction
    key, prev = session_key(session), GENESIS_HASH
    saved = _lift_triggers(session)
    for row in rows:
        digest = _hash(row, prev, key)
        session.execute(update(AuditEvent).where(AuditEvent.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    _restore_triggers(session, saved)
    if rows:
        chain_id = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 1))
        remember_head(session, chain_id or "", len(rows), prev)
    session.commit()
    return RekeyReport(events=len(rows), rekeyed=True)


def _lift_triggers(session: Session) -> list[str]:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        return []
    saved = list(session.scalars(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                      "AND tbl_name = 'audit_events'")))
    for name in session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                     "AND tbl_name = 'audit_events'")).all():
        session.execute(text(f'DROP TRIGGER "{name}"'))
    return saved


def _restore_triggers(session: Session, saved: list[str]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        return
    for sql in saved:
        session.execute(text(sql))
