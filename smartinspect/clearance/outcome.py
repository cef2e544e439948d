"""Turning an assessment into rows (instructions, rule hits) and deciding release. Shared by the service paths.

Release rule: a declaration is released when no instruction is open and none found a discrepancy; it is held as
soon as one completes with a discrepancy or a seizure. Green and blue declarations with no instruction are
therefore released in the same transaction that creates them ("0-second clearance").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from smartinspect.clearance.audit import EventIn
from smartinspect.clearance.engine import Assessment, PlannedInstruction, dedupe_key
from smartinspect.clearance.fields import FindingView
from smartinspect.domain.clearance import CHANNEL_RANK, HOLDING_RESULTS, Channel, DeclarationStatus, InstructionStatus
from smartinspect.storage.models import ClearanceFinding, Scan
from smartinspect.storage.models_clearance import Declaration, Instruction, RuleHit


def findings_for(session: Session, numbers: Iterable[str]) -> dict[str, dict[str, list[FindingView]]]:
    """Every recorded finding of these declarations, by number and source (X-ray ones with their container)."""
    numbers = list(numbers)
    if not numbers:
        return {}
    query = (
        select(ClearanceFinding, Scan.container_no)
        .outerjoin(Scan, and_(ClearanceFinding.source == "xray", Scan.id == ClearanceFinding.source_id))
        .where(ClearanceFinding.declaration_no.in_(numbers))
        .order_by(ClearanceFinding.id)
    )
    grouped: dict[str, dict[str, list[FindingView]]] = defaultdict(lambda: defaultdict(list))
    for finding, container_no in session.execute(query):
        view = FindingView(finding.source, finding.source_id, finding.verdict, finding.payload or {}, container_no)
        grouped[finding.declaration_no][finding.source].append(view)
    return grouped


def escalate(current: str, new: str) -> str:
    """The stricter channel: a reassessment never lowers one."""
    return new if CHANNEL_RANK[Channel(new)] > CHANNEL_RANK[Channel(current)] else current


def new_instruction(decl: Any, planned: PlannedInstruction, *, actor: str, now: datetime) -> Instruction:
    """An instruction row for ``decl`` (a Declaration, or the intake's record of one; its id must be set)."""
    return Instruction(
        declaration_id=decl.id, declaration_no=decl.number, kind=planned.kind.value,
        status=InstructionStatus.issued.value,
        priority=planned.priority, focus=planned.focus, reasons=planned.reasons, source=planned.source,
        source_id=planned.source_id, dedupe_key=planned.dedupe_key, customs_office=decl.customs_office,
        port=decl.port, post_release=decl.status == DeclarationStatus.released, created_by=actor, created_at=now,
    )


def apply_assessment(
    decl: Any,
    assessment: Assessment,
    *,
    existing_instructions: Sequence[Instruction] = (),
    existing_hits: set[tuple[str, str, str]] | frozenset[tuple[str, str, str]] = frozenset(),
    actor: str,
    now: datetime,
) -> tuple[list[Instruction], list[RuleHit]]:
    """New instruction and rule-hit rows for what the assessment adds (nothing twice: idempotent)."""
    by_key = {i.dedupe_key: i for i in existing_instructions}
    created = []
    for planned in assessment.instructions:
        if planned.dedupe_key not in by_key:
            by_key[planned.dedupe_key] = instruction = new_instruction(decl, planned, actor=actor, now=now)
            created.append(instruction)
    hits = []
    for hit in assessment.hits:
        source = hit.finding.source if hit.finding else None
        source_id = hit.finding.source_id if hit.finding else None
        kinds = [spec.kind.value for spec in hit.rule.instructions] or [""]
        for kind in kinds:
            if (hit.rule.id, hit.source_key, kind) in existing_hits:
                continue
            instruction = by_key.get(dedupe_key(kind, source, source_id)) if kind else None
            hits.append(RuleHit(declaration_id=decl.id, rule_id=hit.rule.id,
                                rule_set_version=assessment.rule_set_version, channel=hit.rule.channel.value,
                                source_key=hit.source_key, kind=kind, instruction=instruction, created_at=now))
    return created, hits


def issued_events(instructions: Iterable[Instruction], actor: str) -> list[EventIn]:
    return [
        EventIn("instruction.issued", f"instruction:{i.id}", {
            "instruction_id": i.id, "declaration_no": i.declaration_no, "kind": i.kind, "priority": i.priority,
            "source": i.source, "source_id": i.source_id, "rules": [r.get("rule_id") for r in i.reasons],
            "post_release": i.post_release,
        }, actor)
        for i in instructions
    ]


def decide_release(decl: Declaration, instructions: Sequence[Instruction], *, actor: str, now: datetime,
                   ) -> list[EventIn]:
    """Release or hold ``decl`` if its instructions say so (only from ``assessed``). Returns the events."""
    if decl.status != DeclarationStatus.assessed:
        return []
    holding = [i.id for i in instructions if i.status == InstructionStatus.completed and i.result in HOLDING_RESULTS]
    subject = f"declaration:{decl.number}"
    if holding:
        decl.status, decl.held_at = DeclarationStatus.held.value, now
        return [EventIn("declaration.held", subject, {"number": decl.number, "instructions": holding}, actor)]
    if any(i.is_open for i in instructions):
        return []
    decl.status, decl.released_at = DeclarationStatus.released.value, now
    payload: dict[str, Any] = {"number": decl.number, "channel": decl.channel,
                               "clearance_seconds": round((now - decl.created_at).total_seconds(), 3)}
    return [EventIn("declaration.released", subject, payload, actor)]
