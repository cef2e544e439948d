"""The append-only audit log: every change is an event in a hash chain.

``hash = HMAC-SHA256(key, prev_hash + canonical JSON of {id, created_at, event_type, subject, actor, payload})``,
with ``prev_hash`` of the first event sixty-four zeros. The key lives outside the database (settings or the data
dir, see :mod:`smartinspect.clearance.audit_anchor`), so rewriting the tables cannot produce a chain that
verifies; the chain end is also checkpointed, signed, to a file after each commit, so truncation is detected.
Appends lock the one-row chain head (last in the lock order, see :mod:`smartinspect.clearance.locks`), so the
chain has one order even with many writers. The head also records the last id and hash, so deleting the newest
events is detected too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartinspect.clearance.audit_anchor import (
    CheckpointInvalid,
    checkpoint_ref,
    read_checkpoint,
    remember_head,
    session_key,
)
from smartinspect.clearance.bulk import insert_rows
from smartinspect.clearance.errors import AuditChainBroken
from smartinspect.storage.models_clearance import AuditChainHead, AuditEvent
from smartinspect.storage.types import utcnow

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class EventIn:
    event_type: str  # e.g. declaration.created, instruction.completed
    subject: str  # e.g. declaration:<number>, instruction:<id>, rules:<version>
    payload: dict[str, Any]
    actor: str


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_id: int | None
    reason: str | None
    head_id: int
    head_hash: str
    check: str | None = None  # which check failed: links, hashes, head, checkpoint


_CHECK_OF = {"missing": "links", "link": "links", "changed": "hashes"}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable in an audit payload")


def _number(text: str) -> int | float:
    # JSONB keeps numbers as decimals, so 5.0 or 1e20 may come back as ints: integral floats hash as ints.
    value = float(text)
    return int(value) if value.is_integer() else value


def normalise_payload(payload: Any) -> Any:
    """The payload as plain JSON values, integral floats as ints: what is stored and what is hashed."""
    return json.loads(json.dumps(payload, default=_json_default, allow_nan=False), parse_float=_number)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (not escaped), no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_body(*, id: int, created_at: datetime, event_type: str, subject: str, actor: str,
               payload: dict[str, Any]) -> str:
    """The canonical JSON an event's hash covers."""
    return canonical_json({
        "id": id, "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "event_type": event_type, "subject": subject, "actor": actor, "payload": payload,
    })


def event_hash(prev_hash: str, *, key: bytes | None, id: int, created_at: datetime, event_type: str, subject: str,
               actor: str, payload: dict[str, Any]) -> str:
    """HMAC-SHA256 with ``key``; ``key=None`` is the unkeyed sha256 of chains written before the key existed
    (only :mod:`smartinspect.clearance.audit_rekey` reads those)."""
    data = (prev_hash + event_body(id=id, created_at=created_at, event_type=event_type, subject=subject,
                                   actor=actor, payload=payload)).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def lock_chain_head(session: Session) -> AuditChainHead:
    """The chain head, locked until the transaction ends; created (genesis) on an empty chain."""
    query = select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    head = session.scalar(query.execution_options(populate_existing=True))
    if head is not None:
        return head
    if session.scalar(select(func.count()).select_from(AuditEvent)):
        raise AuditChainBroken("the audit chain head row is missing while events exist; run `smartinspect audit "
                               "verify` and restore the head from a backup")
    try:
        with session.begin_nested():
            session.add(AuditChainHead(id=1, last_id=0, last_hash=GENESIS_HASH))
    except IntegrityError:
        pass  # another transaction created it first
    head = session.scalar(query.execution_options(populate_existing=True))
    assert head is not None
    return head


def append_audit_events(session: Session, *, events: Sequence[EventIn]) -> list[int]:
    """Append ``events`` in order under one head lock; returns their ids (flushes; the caller commits)."""
    if not events:
        return []
    head = lock_chain_head(session)
    key = session_key(session)
    now = utcnow()
    rows, prev, next_id = [], head.last_hash, head.last_id + 1
    for event in events:
        payload = normalise_payload(event.payload)
        digest = event_hash(prev, key=key, id=next_id, created_at=now, event_type=event.event_type,
                            subject=event.subject,
                            actor=event.actor, payload=payload)
        rows.append({"id": next_id, "created_at": now, "event_type": event.event_type, "subject": event.subject,
                     "actor": event.actor, "payload": payload, "prev_hash": prev, "hash": digest})
        prev, next_id = digest, next_id + 1
    insert_rows(session, AuditEvent.__table__, rows)
    head.last_id, head.last_hash = rows[-1]["id"], rows[-1]["hash"]
    session.flush()
    chain_id = rows[0]["hash"] if rows[0]["id"] == 1 else session.scalar(
        select(AuditEvent.hash).where(AuditEvent.id == 1))
    remember_head(session, chain_id or "", head.last_id, head.last_hash)  # signed to the checkpoint file on commit
    return [row["id"] for row in rows]


def append_audit_event(session: Session, *, event_type: str, subject: str, payload: dict[str, Any],
                       actor: str) -> AuditEvent:
    """Append one event (flushes; the caller commits)."""
    (event_id,) = append_audit_events(session, events=[EventIn(event_type, subject, payload, actor)])
    event = session.get(AuditEvent, event_id)
    assert event is not None
    return event


def check_audit_chain(session: Session, *, batch: int = 2000) -> ChainReport:
    """Recompute every link (keyed hashes), in id order, compare the end with the head row, then with the signed
    checkpoint outside the database. Reads only; ``check`` in the report names the check that failed."""
    key = session_key(session)
    head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1))
    head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS_HASH)
    prev, expected_id, checked = GENESIS_HASH, 1, 0
    while True:
        columns = (AuditEvent.id, AuditEvent.created_at, AuditEvent.event_type, AuditEvent.subject, AuditEvent.actor,
                   AuditEvent.payload, AuditEvent.prev_hash, AuditEvent.hash)
        rows = session.execute(select(*columns).where(AuditEvent.id >= expected_id)
                               .order_by(AuditEvent.id).limit(batch)).all()
        for row in rows:
            problem = _link_problem(row, expected_id, prev, key)
            if problem:
                kind, why = problem
                return ChainReport(False, checked, expected_id, why, head_id, head_hash, _CHECK_OF[kind])
            prev, expected_id, checked = row.hash, expected_id + 1, checked + 1
        if len(rows) < batch:
            break
    if head is None and checked:
        return ChainReport(False, checked, checked, "the chain head row is missing", head_id, head_hash, "head")
    if (head_id, head_hash) != (checked, prev):
        first = checked + 1 if head_id > checked else head_id + 1 if head_id < checked else checked
        why = (f"the head says the chain ends at event {head_id} ({head_hash[:12]}…) but it ends at event "
               f"{checked} ({prev[:12]}…): events were deleted or the head was changed")
        return ChainReport(False, checked, max(first, 1), why, head_id, head_hash, "head")
    problem = _checkpoint_problem(session, key, checked)
    if problem is not None:
        first_broken, why = problem
        return ChainReport(False, checked, first_broken, why, head_id, head_hash, "checkpoint")
    return ChainReport(True, checked, None, None, head_id, head_hash)


def _checkpoint_problem(session: Session, key: bytes, checked: int) -> tuple[int, str] | None:
    """The chain in the database against the signed checkpoint file: (first broken id, why), or None."""
    path = checkpoint_ref(session)
    if path is None:
        return None  # no checkpoint configured for this session (library use)
    try:
        checkpoint = read_checkpoint(path, key)
    except CheckpointInvalid as exc:
        return max(checked, 1), str(exc)
    if checkpoint is None:
        if checked:
            return 1, (f"events exist but the signed checkpoint {path} is missing (deleted, or the data dir or "
                       "bucket is not this database's)")
        return None
    first = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == 1))
    if checked and first != checkpoint.chain_id:
        return 1, (f"the database holds another audit chain than the one checkpointed in {path}: the log was "
                   "wiped or replaced")
    if checkpoint.last_id > checked:
        return checked + 1, (f"the signed checkpoint says the chain reached event {checkpoint.last_id}, but the "
                             f"database ends at event {checked}: events were deleted (truncation)")
    stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == checkpoint.last_id))
    if checkpoint.last_id and stored != checkpoint.last_hash:
        return checkpoint.last_id, (f"event {checkpoint.last_id} differs from the signed checkpoint: the chain "
                                    "was rewritten")
    return None


def _link_problem(row: Any, expected_id: int, prev: str, key: bytes) -> tuple[str, str] | None:
    if row.id != expected_id:
        return "missing", f"event {expected_id} is missing (the next stored event is {row.id})"
    if row.prev_hash != prev:
        return "link", f"event {row.id} does not link to the event before it (prev_hash differs)"
    digest = event_hash(prev, key=key, id=row.id, created_at=row.created_at, event_type=row.event_type,
                        subject=row.subject,
                        actor=row.actor, payload=normalise_payload(row.payload))
    if digest != row.hash:
        return "changed", (f"event {row.id} was changed after it was written (its content no longer matches its "
                           "keyed hash)")
    return None


def verify_audit_chain(session: Session) -> tuple[bool, int | None]:
    """``(ok, first_broken_id)``: the id of the first event that was changed, removed or unlinked."""
    report = check_audit_chain(session)
    return report.ok, report.first_broken_id
