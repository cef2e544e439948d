"""Targeted-control instructions: issue, claim, un-claim, complete, cancel; who did what and when.

Every change locks the declaration row, then the instruction row (see :mod:`smartinspect.clearance.locks`),
re-reads both, checks the state and writes with an optimistic version check as a second guard. So of two
officers completing the same instruction exactly one wins; the other gets :class:`InstructionConflict`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from smartinspect.clearance.audit import EventIn, append_audit_events, canonical_json
from smartinspect.clearance.engine import PlannedInstruction, dedupe_key
from smartinspect.clearance.errors import (
    DeclarationNotFound,
    InstructionConflict,
    InstructionForbidden,
    InstructionNotFound,
)
from smartinspect.clearance.locks import begin_write, lock_declaration, lock_numbers
from smartinspect.clearance.outcome import decide_release, escalate, issued_events, new_instruction
from smartinspect.domain.clearance import Channel, InstructionKind, InstructionResult, InstructionStatus, roles_for_kind
from smartinspect.domain.roles import Role
from smartinspect.storage.models_clearance import Declaration, Instruction
from smartinspect.storage.types import utcnow

_KIND_CHANNEL = {InstructionKind.image_review: Channel.yellow, InstructionKind.document_check: Channel.yellow}


def get_instruction(session: Session, *, instruction_id: int) -> Instruction | None:
    return session.get(Instruction, instruction_id)


def list_instructions(session: Session, *, statuses: Iterable[str] | None = None,
                      kinds: Iterable[str] | None = None, port: str | None = None,
                      customs_office: str | None = None, assignee: str | None = None,
                      declaration_no: str | None = None, limit: int = 50, offset: int = 0) -> list[Instruction]:
    """The queue: most urgent first (priority 1 before 5), then oldest first."""
    query = select(Instruction)
    if statuses is not None:
        query = query.where(Instruction.status.in_(list(statuses)))
    if kinds is not None:
        query = query.where(Instruction.kind.in_(list(kinds)))
    for column, value in ((Instruction.port, port), (Instruction.customs_office, customs_office),
                          (Instruction.assignee, assignee), (Instruction.declaration_no, declaration_no)):
        if value is not None:
            query = query.where(column == value)
    query = query.order_by(Instruction.priority, Instruction.created_at, Instruction.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def _lock(session: Session, instruction_id: int) -> tuple[Instruction, Declaration]:
    begin_write(session)
    declaration_id = session.scalar(select(Instruction.declaration_id).where(Instruction.id == instruction_id))
    if declaration_id is None:
        raise InstructionNotFound(f"no instruction {instruction_id}", {"instruction_id": instruction_id})
    decl = lock_declaration(session, declaration_id=declaration_id)
    instruction = session.scalar(select(Instruction).where(Instruction.id == instruction_id).with_for_update()
                                 .execution_options(populate_existing=True))
    assert decl is not None and instruction is not None  # rows are never deleted
    return instruction, decl


def _check_role(instruction: Instruction, role: Role | str | None) -> None:
    if role is None:
        return
    allowed = roles_for_kind(instruction.kind)
    if Role(role) not in allowed:
        raise InstructionForbidden(
            f"role {role!s} does not work {instruction.kind} instructions; allowed: {', '.join(allowed)}",
            {"kind": instruction.kind, "role": str(role), "allowed": [r.value for r in allowed]})


def _check_open(instruction: Instruction, expected_version: int | None) -> None:
    if expected_version is not None and instruction.version != expected_version:
        raise InstructionConflict("version_mismatch", f"instruction {instruction.id} is at version "
                                  f"{instruction.version}, not {expected_version}; reload it",
                                  {"version": instruction.version})
    if instruction.status == InstructionStatus.completed:
        raise InstructionConflict("instruction_already_completed",
                                  f"instruction {instruction.id} was already completed by {instruction.completed_by} "
                                  f"({instruction.result})", _state(instruction))
    if instruction.status == InstructionStatus.cancelled:
        raise InstructionConflict("instruction_cancelled", f"instruction {instruction.id} was cancelled by "
                                  f"{instruction.completed_by}", _state(instruction))


def _state(instruction: Instruction) -> dict[str, Any]:
    return {"instruction_id": instruction.id, "status": instruction.status, "result": instruction.result,
            "assignee": instruction.assignee, "completed_by": instruction.completed_by,
            "version": instruction.version}


def _finish(session: Session, events: list[EventIn]) -> None:
    try:
        session.flush()
    except StaleDataError as exc:  # a concurrent change slipped past the lock (should not happen): refuse
        raise InstructionConflict("concurrent_change", "the instruction changed meanwhile; reload it") from exc
    append_audit_events(session, events=events)


def _event(kind: str, instruction: Instruction, actor: str, **extra: Any) -> EventIn:
    payload = {"instruction_id": instruction.id, "declaration_no": instruction.declaration_no,
               "kind": instruction.kind, **extra}
    return EventIn(f"instruction.{kind}", f"instruction:{instruction.id}", payload, actor)


def _all_of(session: Session, decl: Declaration) -> list[Instruction]:
    return list(session.scalars(select(Instruction).where(Instruction.declaration_id == decl.id)
                                .execution_options(populate_existing=True)))


def claim_instruction(session: Session, *, instruction_id: int, actor: str, role: Role | str | None = None,
                      ) -> Instruction:
    """issued → in_progress, assigned to ``actor``. Claiming one's own claim again is a no-op."""
    instruction, _decl = _lock(session, instruction_id)
    _check_role(instruction, role)
    _check_open(instruction, None)
    if instruction.status == InstructionStatus.in_progress:
        if instruction.assignee == actor:
            return instruction
        raise InstructionConflict("instruction_claimed", f"instruction {instruction_id} is claimed by "
                                  f"{instruction.assignee}", _state(instruction))
    instruction.status = InstructionStatus.in_progress.value
    instruction.assignee, instruction.claimed_at = actor, utcnow()
    _finish(session, [_event("claimed", instruction, actor, assignee=actor)])
    return instruction


def release_instruction(session: Session, *, instruction_id: int, actor: str, role: Role | str | None = None,
                        ) -> Instruction:
    """in_progress → issued (the assignee un-claims it, e.g. a reviewer hands a case back to the queue)."""
    instruction, _decl = _lock(session, instruction_id)
    _check_role(instruction, role)
    _check_open(instruction, None)
    if instruction.status != InstructionStatus.in_progress or instruction.assignee != actor:
        raise InstructionConflict("instruction_not_claimed", f"instruction {instruction_id} is not claimed by "
                                  f"{actor}", _state(instruction))
    instruction.status, instruction.assignee, instruction.claimed_at = InstructionStatus.issued.value, None, None
    _finish(session, [_event("unclaimed", instruction, actor)])
    return instruction


def complete_instruction(session: Session, *, instruction_id: int, result: InstructionResult | str, actor: str,
                         comment: str | None = None, role: Role | str | None = None,
                         expected_version: int | None = None) -> Instruction:
    """→ completed with ``result``; then the declaration is released (nothing open, no discrepancy) or held.

    An issued instruction is claimed by ``actor`` on the way; one claimed by someone else, or already
    completed or cancelled, raises :class:`InstructionConflict`.
    """
    result = InstructionResult(result)
    instruction, decl = _lock(session, instruction_id)
    _check_role(instruction, role)
    _check_open(instruction, expected_version)
    if instruction.status == InstructionStatus.in_progress and instruction.assignee != actor:
        raise InstructionConflict("instruction_claimed", f"instruction {instruction_id} is claimed by "
                                  f"{instruction.assignee}", _state(instruction))
    now = utcnow()
    if instruction.status == InstructionStatus.issued:
        instruction.assignee, instruction.claimed_at = actor, now
    instruction.status, instruction.result = InstructionStatus.completed.value, result.value
    instruction.completed_by, instruction.completed_at, instruction.comment = actor, now, comment
    events = [_event("completed", instruction, actor, result=result.value, comment=comment)]
    events += decide_release(decl, _all_of(session, decl), actor=actor, now=now)
    _finish(session, events)
    return instruction


def cancel_instruction(session: Session, *, instruction_id: int, actor: str, reason: str,
                       role: Role | str | None = None) -> Instruction:
    """→ cancelled (no longer needed); the declaration may then be released."""
    instruction, decl = _lock(session, instruction_id)
    _check_open(instruction, None)
    now = utcnow()
    instruction.status, instruction.completed_by = InstructionStatus.cancelled.value, actor
    instruction.completed_at, instruction.comment = now, reason
    events = [_event("cancelled", instruction, actor, reason=reason)]
    events += decide_release(decl, _all_of(session, decl), actor=actor, now=now)
    _finish(session, events)
    return instruction


def issue_instruction(session: Session, *, declaration_no: str, kind: InstructionKind | str,
                      reasons: Sequence[str | dict[str, Any]], actor: str, focus: dict[str, Any] | str | None = None,
                      source: str | None = None, source_id: str | None = None, priority: int = 3) -> Instruction:
    """Issue an instruction by hand (an officer, or an expert escalating a review). Idempotent: the same kind
    for the same finding (or the same kind, reasons and focus without one) returns the existing instruction."""
    kind = InstructionKind(kind)
    if not 1 <= priority <= 5:
        raise ValueError(f"priority must be 1 (most urgent) to 5, got {priority}")
    begin_write(session)
    lock_numbers(session, [declaration_no])
    decl = lock_declaration(session, number=declaration_no)
    if decl is None:
        raise DeclarationNotFound(f"no declaration {declaration_no!r}", {"number": declaration_no})
    focus_dict = {"notes": [focus]} if isinstance(focus, str) else dict(focus or {})
    reason_list = [{"rule_id": None, "message": r, "source": source, "source_id": source_id, "issued_by": actor}
                   if isinstance(r, str) else dict(r) for r in reasons]
    planned = PlannedInstruction(kind, priority, source, source_id, focus_dict, reason_list)
    key = dedupe_key(kind, source, source_id) if source else _manual_key(kind, reason_list, focus_dict)
    existing = session.scalar(select(Instruction).where(Instruction.declaration_id == decl.id,
                                                        Instruction.dedupe_key == key))
    if existing is not None:
        return existing
    instruction = new_instruction(decl, planned, actor=actor, now=utcnow())
    instruction.dedupe_key = key
    session.add(instruction)
    before = decl.channel
    decl.channel = escalate(decl.channel, _KIND_CHANNEL.get(kind, Channel.red).value)
    session.flush()
    events = issued_events([instruction], actor)
    if decl.channel != before:
        events.append(EventIn("declaration.channel_raised", f"declaration:{decl.number}",
                              {"number": decl.number, "channel_before": before, "channel": decl.channel,
                               "instruction_id": instruction.id}, actor))
    append_audit_events(session, events=events)
    return instruction


def _manual_key(kind: InstructionKind, reasons: list[dict[str, Any]], focus: dict[str, Any]) -> str:
    digest = hashlib.sha256(canonical_json({"reasons": reasons, "focus": focus}).encode()).hexdigest()[:24]
    return f"{kind.value}|manual:{digest}"


def clearance_seconds(decl: Declaration) -> float | None:
    """Seconds from receipt to release (None while not released)."""
    if decl.released_at is None:
        return None
    return max(0.0, (decl.released_at - decl.created_at).total_seconds())
