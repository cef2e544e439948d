"""``/v1/declarations``: officers submit declarations (one or a batch); the rules assess them at once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from smartinspect.api.deps import CurrentKey, Offset, SessionDep, SettingsDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.routers.clearance.common import ERRORS, actor_of, page, write
from smartinspect.api.schemas.clearance import (
    BatchResultPublic,
    DeclarationBatch,
    DeclarationCreate,
    DeclarationList,
    DeclarationPublic,
    InstructionIssue,
    InstructionPublic,
    IntakeResultPublic,
    declaration_public,
    declaration_summary,
    instruction_public,
)
from smartinspect.clearance import service
from smartinspect.clearance.findings import list_findings
from smartinspect.domain.clearance import Channel, DeclarationStatus
from smartinspect.domain.roles import Role
from smartinspect.storage.models_clearance import Declaration

router = APIRouter(prefix="/v1/declarations", tags=["declarations"])
READERS = (Role.officer, Role.expert, Role.admin)


def _public(session, decl: Declaration) -> DeclarationPublic:
    return declaration_public(decl, list_findings(session, declaration_no=decl.number))


@router.post("", response_model=DeclarationPublic, status_code=status.HTTP_201_CREATED,
             **secured(Role.officer, responses=ERRORS))
def create_declaration(data: DeclarationCreate, response: Response, key: CurrentKey,
                       session: SessionDep) -> DeclarationPublic:
    """Validate, assess with the active rules, issue instructions, release at once when green with none open.

    A retry of the same declaration answers 200 with the stored one; the same number with other content is 409.
    """
    (outcome,) = write(session, lambda: service.create_declarations(session, items=[data], actor=actor_of(key)))
    if not outcome.created:
        response.status_code = status.HTTP_200_OK
    return _public(session, outcome.declaration)


@router.post("/batch", response_model=BatchResultPublic, status_code=status.HTTP_201_CREATED,
             **secured(Role.officer, responses=ERRORS))
def create_declarations(batch: DeclarationBatch, response: Response, key: CurrentKey, session: SessionDep,
                        settings: SettingsDep) -> BatchResultPublic:
    """Submit many declarations in one transaction (E-Port bulk intake): all are stored, or none."""
    limit = settings.clearance_max_batch
    if len(batch.declarations) > limit:
        raise ApiError(413, "batch_too_large", f"{len(batch.declarations)} declarations in one batch; the limit is "
                       f"{limit}", {"count": len(batch.declarations), "max": limit})
    results = write(session, lambda: service.intake_declarations(session, items=batch.declarations,
                                                                 actor=actor_of(key)))
    if not any(r.created for r in results):
        response.status_code = status.HTTP_200_OK
    return BatchResultPublic(results=[
        IntakeResultPublic(number=r.number, created=r.created, status=r.status, channel=r.channel,
                           instruction_ids=list(r.instruction_ids), links={"self": f"/v1/declarations/{r.number}"})
        for r in results])


@router.get("", response_model=DeclarationList, **secured(*READERS, responses=ERRORS))
def list_declarations(
    session: SessionDep,
    status_: Annotated[DeclarationStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    consignee_code: Annotated[str | None, Query(max_length=18)] = None,
    customs_office: Annotated[str | None, Query(max_length=4)] = None,
    port: Annotated[str | None, Query(max_length=4)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> DeclarationList:
    """Newest first; every filter given must match."""
    rows = service.list_declarations(
        session, status=status_, channel=channel, consignee_code=consignee_code, customs_office=customs_office,
        port=port, since=since, until=until, limit=limit + 1, offset=offset)
    return DeclarationList(items=[declaration_summary(d) for d in rows[:limit]],
                           next_offset=page(rows, limit=limit, offset=offset))


def _get_or_404(session, number: str) -> Declaration:
    decl = service.get_declaration(session, number=number)
    if decl is None:
        raise ApiError(404, "declaration_not_found", f"no declaration {number!r}", {"number": number})
    return decl


@router.get("/{number}", response_model=DeclarationPublic, **secured(*READERS, responses=ERRORS))
def read_declaration(number: str, session: SessionDep) -> DeclarationPublic:
    """The declaration with its items, containers, instructions and the findings attached to it."""
    return _public(session, _get_or_404(session, number))


@router.post("/{number}/reassess", response_model=DeclarationPublic, **secured(Role.officer, Role.admin,
                                                                               responses=ERRORS))
def reassess_declaration(number: str, key: CurrentKey, session: SessionDep) -> DeclarationPublic:
    """Re-run the active rules with every finding recorded so far (idempotent; e.g. after a rule change)."""
    write(session, lambda: service.reassess_declaration(session, number=number, actor=actor_of(key)))
    return _public(session, _get_or_404(session, number))


@router.post("/{number}/instructions", response_model=InstructionPublic, status_code=status.HTTP_201_CREATED,
             **secured(Role.officer, responses=ERRORS))
def issue_instruction(number: str, body: InstructionIssue, key: CurrentKey,
                      session: SessionDep) -> InstructionPublic:
    """Issue a targeted-control instruction by hand; the channel rises to match (idempotent)."""
    instruction = write(session, lambda: service.issue_instruction(
        session, declaration_no=number, kind=body.kind, reasons=body.reasons, actor=actor_of(key),
        focus=body.focus, source=body.source, source_id=body.source_id, priority=body.priority))
    return instruction_public(instruction)
