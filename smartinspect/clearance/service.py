"""Clearance service functions: plain functions, keyword-only, taking a Session. They flush; the caller commits.

Declarations are assessed with the active rule set when they are created and again whenever a finding arrives
(:func:`on_finding_recorded`, called by ``clearance.findings.record_finding`` in the same transaction). Instruction
lifecycle functions live in :mod:`smartinspect.clearance.instructions` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, noload, selectinload

from smartinspect.clearance.audit import (
    EventIn,
    append_audit_event,
    append_audit_events,
    check_audit_chain,
    verify_audit_chain,
)
from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.engine import assess
from smartinspect.clearance.errors import DeclarationNotFound
from smartinspect.clearance.fields import DeclarationView
from smartinspect.clearance.instructions import (
    cancel_instruction,
    claim_instruction,
    complete_instruction,
    get_instruction,
    issue_instruction,
    list_instructions,
    release_instruction,
)
from smartinspect.clearance.intake import IntakeResult, intake_declarations
from smartinspect.clearance.locks import begin_write, lock_declaration, lock_numbers
from smartinspect.clearance.outcome import apply_assessment, decide_release, escalate, findings_for, issued_events
from smartinspect.clearance.rulestore import SYSTEM_ACTOR, active_rules
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_clearance import Declaration, Instruction, RuleHit
from smartinspect.storage.types import utcnow

__all__ = [
    "CreatedDeclaration", "IntakeResult", "append_audit_event", "append_audit_events", "cancel_instruction",
    "check_audit_chain", "claim_instruction", "complete_instruction", "create_declaration", "create_declarations",
    "get_declaration", "get_instruction", "intake_declarations", "issue_instruction", "list_declarations",
    "list_instructions", "on_finding_recorded", "reassess_declaration", "release_instruction", "verify_audit_chain",
]


@dataclass(frozen=True)
class CreatedDeclaration:
    declaration: Declaration
    created: bool  # False: a retry of an identical declaration, returned as stored


def create_declarations(session: Session, *, items: Sequence[DeclarationCreate], actor: str,
                        ) -> list[CreatedDeclaration]:
    """Create and assess declarations in one transaction, all or nothing (flushes; the caller commits).

    See :func:`smartinspect.clearance.intake.intake_declarations`, which this wraps to return the stored rows
    (items, containers and instructions loaded) in input order.
    """
    results = intake_declarations(session, items=items, actor=actor)
    # Read back in two queries (items joined); with no instruction anywhere there is nothing to load for them.
    instructions = selectinload if any(r.instruction_ids for r in results) else noload
    query = select(Declaration).where(Declaration.id.in_([r.declaration_id for r in results])).options(
        joinedload(Declaration.items), selectinload(Declaration.containers), instructions(Declaration.instructions))
    rows = {d.id: d for d in session.scalars(query).unique()}
    return [CreatedDeclaration(rows[r.declaration_id], r.created) for r in results]


def create_declaration(session: Session, *, data: DeclarationCreate, actor: str) -> Declaration:
    """Create, assess and (when green with no open instruction) release one declaration. See
    :func:`create_declarations`; an identical retry returns the stored declaration."""
    return create_declarations(session, items=[data], actor=actor)[0].declaration


def get_declaration(session: Session, *, number: str) -> Declaration | None:
    """The declaration with its items, containers and instructions loaded."""
    query = select(Declaration).where(Declaration.number == number).options(
        selectinload(Declaration.items), selectinload(Declaration.containers), selectinload(Declaration.instructions))
    return session.scalar(query)


def list_declarations(session: Session, *, status: str | None = None, channel: str | None = None,
                      consignee_code: str | None = None, customs_office: str | None = None,
                      port: str | None = None, since: datetime | None = None, until: datetime | None = None,
                      limit: int = 50, offset: int = 0) -> list[Declaration]:
    """Declarations matching every given filter, newest first (items and instructions loaded)."""
    query = select(Declaration).options(selectinload(Declaration.items), selectinload(Declaration.containers),
                                        selectinload(Declaration.instructions))
    for column, value in ((Declaration.status, status), (Declaration.channel, channel),
                          (Declaration.consignee_code, consignee_code), (Declaration.customs_office, customs_office),
                          (Declaration.port, port)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Declaration.created_at >= since)
    if until is not None:
        query = query.where(Declaration.created_at < until)
    query = query.order_by(Declaration.created_at.desc(), Declaration.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def reassess_declaration(session: Session, *, number: str, actor: str, trigger: str = "manual") -> Declaration:
    """Re-run the active rules over the declaration and all its findings. Idempotent: with the same findings
    and rules nothing is issued twice and no event is written. The channel can rise, never fall."""
    begin_write(session)
    lock_numbers(session, [number])
    decl = lock_declaration(session, number=number)
    if decl is None:
        raise DeclarationNotFound(f"no declaration {number!r}", {"number": number})
    _reassess(session, decl, actor=actor, trigger=trigger)
    return decl


def on_finding_recorded(session: Session, finding: ClearanceFinding) -> Declaration | None:
    """Hook for ``record_finding``: re-assess the finding's declaration, if it exists, in the same transaction."""
    if not finding.declaration_no:
        return None
    begin_write(session)
    lock_numbers(session, [finding.declaration_no])
    decl = lock_declaration(session, number=finding.declaration_no)
    if decl is None:
        return None  # a declaration created later picks the finding up
    _reassess(session, decl, actor=SYSTEM_ACTOR, trigger=f"{finding.source}:{finding.source_id}")
    return decl


def _reassess(session: Session, decl: Declaration, *, actor: str, trigger: str) -> None:
    rules = active_rules(session)
    findings = findings_for(session, [decl.number]).get(decl.number, {})
    existing = list(session.scalars(select(Instruction).where(Instruction.declaration_id == decl.id)
                                    .order_by(Instruction.id).execution_options(populate_existing=True)))
    seen = set(session.execute(select(RuleHit.rule_id, RuleHit.source_key, RuleHit.kind)
                               .where(RuleHit.declaration_id == decl.id)).tuples())
    assessment = assess(rules.rule_set, DeclarationView(decl, findings), version=rules.version)
    now = utcnow()
    instructions, hits = apply_assessment(decl, assessment, existing_instructions=existing, existing_hits=seen,
                                          actor=actor, now=now)
    channel = escalate(decl.channel, assessment.channel.value)
    audit = decl.post_clearance_audit or assessment.post_clearance_audit
    if not instructions and not hits and channel == decl.channel and audit == decl.post_clearance_audit:
        return  # nothing new: no write, no event
    before = decl.channel
    decl.channel, decl.post_clearance_audit, decl.rule_set_version = channel, audit, rules.version
    session.add_all([*instructions, *hits])
    session.flush()
    events = [EventIn("declaration.reassessed", f"declaration:{decl.number}", {
        "number": decl.number, "trigger": trigger, "channel_before": before, "channel": channel,
        "status": decl.status, "rule_set_version": rules.version, "instructions": [i.id for i in instructions],
        "hits": [{"rule_id": h.rule_id, "source": h.source_key or None, "kind": h.kind or None} for h in hits],
    }, actor)]
    events.extend(issued_events(instructions, actor))
    events.extend(decide_release(decl, [*existing, *instructions], actor=actor, now=now))
    append_audit_events(session, events=events)
