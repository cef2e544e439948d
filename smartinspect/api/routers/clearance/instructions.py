"""``/v1/instructions``: the work queues. Experts claim and complete image reviews; officers the rest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from smartinspect.api.deps import CurrentKey, Offset, PathInt, SessionDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.routers.clearance.common import ERRORS, actor_of, page, write
from smartinspect.api.schemas.clearance import (
    AuditEventPublic,
    InstructionCancellation,
    InstructionCompletion,
    InstructionList,
    InstructionPublic,
    instruction_public,
)
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.clearance import service
from smartinspect.domain.clearance import InstructionKind, InstructionStatus, kinds_for_role
from smartinspect.domain.roles import Role
from smartinspect.storage.models_clearance import AuditEvent, Instruction

router = APIRouter(prefix="/v1/instructions", tags=["instructions"])
READERS = (Role.officer, Role.expert, Role.admin)
WORKERS = (Role.officer, Role.expert)
_ERRORS = {**ERRORS, 403: {"model": ErrorPublic, "description": "role may not use the route, or work this kind"}}
QueueRole = Annotated[Role | None, Query(description="kinds worked by this role (officer, expert); default: yours")]


@router.get("", response_model=InstructionList, **secured(*READERS, responses=ERRORS))
def list_instructions(
    key: CurrentKey,
    session: SessionDep,
    status: Annotated[list[InstructionStatus] | None, Query(description="repeatable; default issued + in_progress")]
    = None,
    kind: Annotated[list[InstructionKind] | None, Query(description="repeatable")] = None,
    role: QueueRole = None,
    port: Annotated[str | None, Query(max_length=4)] = None,
    customs_office: Annotated[str | None, Query(max_length=4)] = None,
    assignee: Annotated[str | None, Query(description="'me' for your own claims")] = None,
    declaration_no: Annotated[str | None, Query(max_length=18)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> InstructionList:
    """A queue, most urgent first. By default an officer sees officer kinds and an expert image reviews."""
    queue_role = role or (Role(key.role) if key.role in WORKERS else None)
    kinds = set(kind) if kind else None
    if queue_role is not None:
        allowed = set(kinds_for_role(queue_role))
        kinds = allowed if kinds is None else kinds & allowed
    statuses = status or [InstructionStatus.issued, InstructionStatus.in_progress]
    rows = service.list_instructions(
        session, statuses=statuses, kinds=kinds, port=port, customs_office=customs_office,
        assignee=actor_of(key) if assignee == "me" else assignee, declaration_no=declaration_no,
        limit=limit + 1, offset=offset)
    return InstructionList(items=[instruction_public(i) for i in rows[:limit]],
                           next_offset=page(rows, limit=limit, offset=offset))


def _get_or_404(session, instruction_id: int) -> Instruction:
    instruction = service.get_instruction(session, instruction_id=instruction_id)
    if instruction is None:
        raise ApiError(404, "instruction_not_found", f"no instruction {instruction_id}",
                       {"instruction_id": instruction_id})
    return instruction


@router.get("/{instruction_id}", response_model=InstructionPublic, **secured(*READERS, responses=ERRORS))
def read_instruction(instruction_id: PathInt, session: SessionDep) -> InstructionPublic:
    return instruction_public(_get_or_404(session, instruction_id))


@router.get("/{instruction_id}/history", response_model=list[AuditEventPublic],
            **secured(*READERS, responses=ERRORS))
def instruction_history(instruction_id: PathInt, session: SessionDep) -> list[AuditEventPublic]:
    """Who did what and when: the instruction's audit events, oldest first."""
    _get_or_404(session, instruction_id)
    query = select(AuditEvent).where(AuditEvent.subject == f"instruction:{instruction_id}").order_by(AuditEvent.id)
    return [AuditEventPublic.model_validate(event) for event in session.scalars(query)]


@router.post("/{instruction_id}/claim", response_model=InstructionPublic, **secured(*WORKERS, responses=_ERRORS))
def claim(instruction_id: PathInt, key: CurrentKey, session: SessionDep) -> InstructionPublic:
    """issued → in_progress, assigned to you (409 if someone else holds it)."""
    return instruction_public(write(session, lambda: service.claim_instruction(
        session, instruction_id=instruction_id, actor=actor_of(key), role=key.role)))


@router.post("/{instruction_id}/release", response_model=InstructionPublic, **secured(*WORKERS, responses=_ERRORS))
def release(instruction_id: PathInt, key: CurrentKey, session: SessionDep) -> InstructionPublic:
    """Hand a claimed instruction back to the queue (in_progress → issued)."""
    return instruction_public(write(session, lambda: service.release_instruction(
        session, instruction_id=instruction_id, actor=actor_of(key), role=key.role)))


@router.post("/{instruction_id}/complete", response_model=InstructionPublic, **secured(*WORKERS, responses=_ERRORS))
def complete(instruction_id: PathInt, body: InstructionCompletion, key: CurrentKey,
             session: SessionDep) -> InstructionPublic:
    """Record the result. The declaration is released when nothing is open and nothing was found, held on a
    discrepancy or seizure. Completing twice answers 409 ``instruction_already_completed``."""
    return instruction_public(write(session, lambda: service.complete_instruction(
        session, instruction_id=instruction_id, result=body.result, actor=actor_of(key), comment=body.comment,
        role=key.role, expected_version=body.version)))


@router.post("/{instruction_id}/cancel", response_model=InstructionPublic, **secured(Role.officer, responses=ERRORS))
def cancel(instruction_id: PathInt, body: InstructionCancellation, key: CurrentKey,
           session: SessionDep) -> InstructionPublic:
    """Cancel an open instruction that is no longer needed (the reason is kept)."""
    return instruction_public(write(session, lambda: service.cancel_instruction(
        session, instruction_id=instruction_id, actor=actor_of(key), reason=body.reason)))
