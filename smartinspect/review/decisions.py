"""Deciding a case: complete the image_review (and escalate), write the labelled example, audit, in one commit.

confirm  → the review completes with ``discrepancy`` (clearance then holds the declaration);
clear    → completes with ``no_discrepancy`` (clearance may then release it);
escalate → completes with ``discrepancy`` and issues a ``physical_inspection`` whose focus is the (corrected)
           boxes.
The decision row, the instruction changes, the follow-up instruction and the audit events commit together; the
example's files are written before the commit and removed if it fails, so nothing is left half-done. A retry
with the same decision returns the stored one; a different decision on a decided case is a conflict.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.clearance.audit import append_audit_event, canonical_json
from smartinspect.clearance.errors import InstructionConflict
from smartinspect.clearance.instructions import complete_instruction, issue_instruction
from smartinspect.clearance.locks import end_read_transaction
from smartinspect.domain.clearance import InstructionKind, InstructionResult
from smartinspect.domain.review import DecisionKind
from smartinspect.domain.roles import Role
from smartinspect.review.cases import get_instruction_for_case
from smartinspect.review.evidence import CaseEvidence, load_evidence
from smartinspect.review.feedback import feedback_root, remove_example, write_example
from smartinspect.review.labels import LabelRefused, build_example, escalation_focus
from smartinspect.review.sources import CaseSources
from smartinspect.review.types import DecisionInput
from smartinspect.storage.blobs import BlobStore
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.models_review import ReviewDecision

log = logging.getLogger(__name__)

RESULT_OF = {
    DecisionKind.confirm: InstructionResult.discrepancy,
    DecisionKind.clear: InstructionResult.no_discrepancy,
    DecisionKind.escalate: InstructionResult.discrepancy,
}
ESCALATION_PRIORITY = 2  # an expert's escalation is urgent, at least as urgent as the review was


class DecisionConflict(Exception):
    """The case was already decided differently (or by someone else), or its instruction is closed."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}




class DecisionInvalid(ValueError):
    """The decision does not fit the case (boxes outside the scan, an unknown class, a missing genus...)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


@dataclass(frozen=True)
class DecisionOutcome:
    decision: ReviewDecision
    created: bool  # False: a retry returned the stored decision


def request_digest(decision: DecisionInput) -> str:
    return hashlib.sha256(canonical_json(decision.canonical()).encode()).hexdigest()


def find_decision(db: Session, *, case_id: int) -> ReviewDecision | None:
    return db.scalar(select(ReviewDecision).where(ReviewDecision.instruction_id == case_id))


def _replay(existing: ReviewDecision, digest: str, api_key_id: int) -> DecisionOutcome:
    if existing.request_sha256 == digest and existing.api_key_id == api_key_id:
        return DecisionOutcome(existing, created=False)
    raise DecisionConflict("already_decided", f"case {existing.instruction_id} was already decided "
                           f"({existing.decision}) by {existing.actor}",
                           {"decision_id": existing.id, "decision": existing.decision, "actor": existing.actor})


def decide_case(db: Session, blobs: BlobStore, *, case_id: int, decision: DecisionInput, actor: str,
                api_key_id: int, data_dir: Path, xray_classes: tuple[str, ...], sources: CaseSources) -> DecisionOutcome:
    """Record ``decision`` on case ``case_id`` by ``actor`` (clearance's name for API key ``api_key_id``).

    Commits. See the module docstring for what a decision does.
    """
    digest = request_digest(decision)
    instruction = get_instruction_for_case(db, case_id=case_id)
    existing = find_decision(db, case_id=case_id)
    if existing is not None:
        return _replay(existing, digest, api_key_id)
    if sources.get(instruction.source) is None or not instruction.source_id:
        raise DecisionInvalid(
            "no_evidence", f"case {case_id} has no scan, wood screening or document behind it (an instruction "
            "issued by hand); there is nothing to review: complete it as an instruction "
            f"(POST /v1/instructions/{case_id}/complete) instead", {"case_id": case_id})
    evidence = load_evidence(db, instruction, sources=sources)
    try:
        example_spec = build_example(evidence, decision, sources=sources, xray_classes=xray_classes)
    except LabelRefused as exc:
        raise DecisionInvalid(exc.code, exc.message, exc.details) from exc
    root = feedback_root(data_dir)
    written = None
    end_read_transaction(db)  # SQLite: the write transaction must take its lock before it reads
    try:
        row = _apply(db, instruction, evidence, decision, actor=actor, api_key_id=api_key_id, digest=digest,
                     sources=sources)
        if example_spec is not None:
            written = write_example(root, blobs, example_spec.for_decision(row.id))
            row.label_task, row.label_path, row.label_sha256 = (example_spec.task.value, written.relative_path,
                                                                written.annotation_sha256)
        _audit(db, row, instruction)
        db.commit()
    except InstructionConflict as exc:
        db.rollback()
        _discard(root, written)
        existing = find_decision(db, case_id=case_id)  # a concurrent identical retry won the race
        if existing is not None:
            return _replay(existing, digest, api_key_id)
        raise DecisionConflict(exc.code, exc.message, exc.details) from exc
    except BaseException:
        db.rollback()
        _discard(root, written)
        raise
    return DecisionOutcome(row, created=True)


def _discard(root: Path, written: Any) -> None:
    if written is not None:
        remove_example(root, written.relative_path)


def _apply(db: Session, instruction: Instruction, evidence: CaseEvidence, decision: DecisionInput, *,
           actor: str, api_key_id: int, digest: str, sources: CaseSources) -> ReviewDecision:
    result = RESULT_OF[decision.decision]
    complete_instruction(db, instruction_id=instruction.id, result=result, actor=actor, comment=decision.comment,
                         role=Role.expert)
    follow_up = None
    if decision.decision == DecisionKind.escalate:
        follow_up = issue_instruction(
            db, declaration_no=instruction.declaration_no, kind=InstructionKind.physical_inspection,
            reasons=[f"escalated by expert review of case {instruction.id}: {decision.comment}"], actor=actor,
            focus=escalation_focus(evidence, decision, case_id=instruction.id, sources=sources), source=instruction.source,
            source_id=instruction.source_id, priority=min(instruction.priority, ESCALATION_PRIORITY),
        )
    row = ReviewDecision(
        instruction_id=instruction.id, declaration_no=instruction.declaration_no, source=instruction.source or "",
        source_id=instruction.source_id or "", decision=decision.decision.value, comment=decision.comment,
        corrections=decision.canonical(), request_sha256=digest, result=result.value,
        follow_up_instruction_id=follow_up.id if follow_up is not None else None, actor=actor, api_key_id=api_key_id,
    )
    db.add(row)
    db.flush()
    return row


def _audit(db: Session, row: ReviewDecision, instruction: Instruction) -> None:
    corrections = row.corrections or {}
    payload = {
        "decision_id": row.id, "instruction_id": instruction.id, "declaration_no": row.declaration_no,
        "source": row.source, "source_id": row.source_id, "decision": row.decision, "result": row.result,
        "comment": row.comment, "boxes": corrections.get("boxes"), "labels": corrections.get("labels"),
        "fields": corrections.get("fields"), "follow_up_instruction_id": row.follow_up_instruction_id,
        "label_path": row.label_path, "label_sha256": row.label_sha256,
    }
    append_audit_event(db, event_type="review.decided", subject=f"instruction:{instruction.id}", payload=payload,
                       actor=row.actor)
