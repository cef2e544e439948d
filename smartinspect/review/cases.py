"""The case queue: clearance's ``image_review`` instructions, filtered and sorted for experts (reads only).

A case is an image_review instruction; its id is the instruction id. Claiming, releasing and completing go
through clearance's service functions (see :mod:`smartinspect.review.decisions`), never around them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smartinspect.domain.clearance import InstructionKind, InstructionStatus
from smartinspect.review.types import (
    CASE_TYPE_SOURCE,
    SOURCE_CASE_TYPE,
    CasePage,
    CaseQuery,
    CaseSummary,
    CaseType,
    FollowUp,
    QueueSort,
    QueueState,
)
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.models_review import ReviewDecision
from smartinspect.storage.types import utcnow

OPEN = (InstructionStatus.issued.value, InstructionStatus.in_progress.value)
CLOSED = (InstructionStatus.completed.value, InstructionStatus.cancelled.value)
MAX_PAGE = 500


class CaseNotFound(LookupError):
    """No image_review instruction with that id."""

    def __init__(self, case_id: int) -> None:
        self.case_id = case_id
        super().__init__(f"no review case {case_id} (cases are image_review instructions)")


def _filtered(query: CaseQuery, *, me: str, now: datetime, with_port: bool = True) -> Select:
    stmt = select(Instruction).where(Instruction.kind == InstructionKind.image_review.value)
    if query.state == QueueState.open:
        stmt = stmt.where(Instruction.status.in_(OPEN))
    elif query.state == QueueState.mine:
        stmt = stmt.where(Instruction.status.in_(OPEN), Instruction.assignee == me)
    elif query.state == QueueState.decided:
        stmt = stmt.where(Instruction.status.in_(CLOSED))
    if query.type is not None:
        stmt = stmt.where(Instruction.source == CASE_TYPE_SOURCE[query.type])
    if with_port and query.port:
        stmt = stmt.where(Instruction.port == query.port)
    if query.min_age_s is not None:
        stmt = stmt.where(Instruction.created_at <= now - timedelta(seconds=query.min_age_s))
    if query.max_age_s is not None:
        stmt = stmt.where(Instruction.created_at >= now - timedelta(seconds=query.max_age_s))
    if query.max_priority is not None:
        stmt = stmt.where(Instruction.priority <= query.max_priority)
    return stmt


_ORDER = {
    QueueSort.priority: (Instruction.priority.asc(), Instruction.created_at.asc()),
    QueueSort.oldest: (Instruction.created_at.asc(),),
    QueueSort.newest: (Instruction.created_at.desc(),),
    QueueSort.port: (Instruction.port.asc(), Instruction.priority.asc(), Instruction.created_at.asc()),
}


def list_cases(db: Session, *, query: CaseQuery, me: str, now: datetime | None = None) -> CasePage:
    """One page of cases matching ``query``; ``me`` is the caller's actor name (for "mine" and "held by me")."""
    now = now or utcnow()
    stmt = _filtered(query, me=me, now=now)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    limit = max(1, min(query.limit, MAX_PAGE))
    rows = list(db.scalars(stmt.order_by(*_ORDER[query.sort], Instruction.id).limit(limit).offset(query.offset)))
    decisions = _decisions(db, [r.id for r in rows])
    ports_stmt = _filtered(query, me=me, now=now, with_port=False).with_only_columns(Instruction.port).distinct()
    ports = sorted(p for p in db.scalars(ports_stmt) if p)
    items = [summarise(row, decisions.get(row.id), me=me, now=now, db=db) for row in rows]
    return CasePage(items=items, total=total, ports=ports)


def get_instruction_for_case(db: Session, *, case_id: int) -> Instruction:
    instruction = db.get(Instruction, case_id)
    if instruction is None or instruction.kind != InstructionKind.image_review.value:
        raise CaseNotFound(case_id)
    return instruction


def get_case_summary(db: Session, *, case_id: int, me: str, now: datetime | None = None) -> CaseSummary:
    instruction = get_instruction_for_case(db, case_id=case_id)
    decision = _decisions(db, [case_id]).get(case_id)
    return summarise(instruction, decision, me=me, now=now or utcnow(), db=db)


def _decisions(db: Session, ids: list[int]) -> dict[int, ReviewDecision]:
    if not ids:
        return {}
    rows = db.scalars(select(ReviewDecision).where(ReviewDecision.instruction_id.in_(ids)))
    return {row.instruction_id: row for row in rows}


def summarise(instruction: Instruction, decision: ReviewDecision | None, *, me: str, now: datetime,
              db: Session) -> CaseSummary:
    follow_up = None
    if decision is not None and decision.follow_up_instruction_id is not None:
        other = db.get(Instruction, decision.follow_up_instruction_id)
        if other is not None:
            follow_up = FollowUp(id=other.id, kind=other.kind, status=other.status, focus=other.focus or {})
    return CaseSummary(
        id=instruction.id, type=SOURCE_CASE_TYPE.get(instruction.source or "", CaseType.scan),
        source=instruction.source or "", source_id=instruction.source_id or "",
        declaration_no=instruction.declaration_no, port=instruction.port, priority=instruction.priority,
        status=instruction.status, result=instruction.result, assignee=instruction.assignee,
        held_by_me=instruction.assignee is not None and instruction.assignee == me,
        created_at=instruction.created_at, age_s=max(0.0, (now - instruction.created_at).total_seconds()),
        headline=_headline(instruction), decided=decision is not None, follow_up=follow_up,
    )


def _headline(instruction: Instruction) -> str:
    messages = [r.get("message") for r in instruction.reasons or [] if isinstance(r, dict) and r.get("message")]
    return "; ".join(dict.fromkeys(messages)) or "image review"
