"""HTTP shapes of the clearance workflow. Input: :class:`~smartinspect.clearance.declarations.DeclarationCreate`
(shared with the service); output: the ``…Public`` models built from the tables here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.instructions import clearance_seconds
from smartinspect.domain.clearance import InstructionKind, InstructionResult
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_clearance import Declaration, Instruction, RuleSetVersion

__all__ = ["DeclarationCreate"]


class PartyPublic(BaseModel):
    name: str
    code: str


class TransportPublic(BaseModel):
    mode: str
    bill_of_lading: str | None
    vessel: str | None
    voyage: str | None


class ItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    hs_code: str
    description: str
    quantity: float
    unit: str
    gross_kg: float
    net_kg: float
    value: float
    currency: str
    origin: str


class ContainerPublic(BaseModel):
    number: str
    size_type: str | None
    tare_kg: float | None


class ReasonPublic(BaseModel):
    rule_id: str | None = Field(description="the rule that fired (None: issued by hand)")
    rule_set_version: int | None = None
    message: str
    source: str | None = Field(default=None, description="the finding's source: xray | document | wood")
    source_id: str | None = None
    evidence: dict[str, Any] = {}
    issued_by: str | None = None


class InstructionPublic(BaseModel):
    id: int
    declaration_no: str
    kind: str = Field(description="image_review | physical_inspection | document_check | sampling | hold")
    status: str = Field(description="issued | in_progress | completed | cancelled")
    result: str | None = Field(description="no_discrepancy | discrepancy | seized, once completed")
    priority: int = Field(description="1 most urgent ... 5 routine")
    focus: dict[str, Any] = Field(description="where to look: finding boxes (X-ray), sample, discrepancies, notes")
    reasons: list[ReasonPublic]
    source: str | None
    source_id: str | None
    customs_office: str
    port: str
    post_release: bool = Field(description="issued after the goods were released (post-clearance control)")
    created_by: str
    created_at: datetime
    assignee: str | None
    claimed_at: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    comment: str | None
    version: int
    links: dict[str, str]


class FindingRefPublic(BaseModel):
    source: str
    source_id: str
    verdict: str
    recorded_at: datetime


class DeclarationPublic(BaseModel):
    number: str
    direction: str
    status: str = Field(description="assessed (controls open) | released | held")
    channel: str = Field(description="green | blue | yellow | red")
    post_clearance_audit: bool
    customs_office: str
    port: str
    declarant: PartyPublic
    consignee: PartyPublic
    transport: TransportPublic
    trade_country: str
    loading_port: str | None
    incoterm: str
    currency: str
    package_count: int | None
    gross_kg: float
    net_kg: float
    total_value: float | None
    items: list[ItemPublic]
    containers: list[ContainerPublic]
    documents: list[dict[str, Any]]
    remarks: str | None
    instructions: list[InstructionPublic]
    findings: list[FindingRefPublic]
    rule_set_version: int | None
    declared_at: datetime
    created_by: str
    created_at: datetime
    assessed_at: datetime | None
    released_at: datetime | None
    held_at: datetime | None
    clearance_seconds: float | None = Field(description="receipt to release, once released")
    version: int
    links: dict[str, str]


class DeclarationSummary(BaseModel):
    number: str
    direction: str
    status: str
    channel: str
    consignee: PartyPublic
    customs_office: str
    port: str
    open_instructions: int
    created_at: datetime
    released_at: datetime | None
    links: dict[str, str]


class DeclarationList(BaseModel):
    items: list[DeclarationSummary]
    next_offset: int | None


class DeclarationBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declarations: list[DeclarationCreate] = Field(min_length=1)


class IntakeResultPublic(BaseModel):
    number: str
    created: bool = Field(description="false: an identical retry, reported as stored")
    status: str
    channel: str
    instruction_ids: list[int]
    links: dict[str, str]


class BatchResultPublic(BaseModel):
    results: list[IntakeResultPublic]


class InstructionList(BaseModel):
    items: list[InstructionPublic]
    next_offset: int | None


class InstructionIssue(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: InstructionKind
    reasons: list[str] = Field(min_length=1, max_length=10)
    priority: int = Field(default=3, ge=1, le=5)
    focus: str | None = Field(default=None, max_length=1000)
    source: str | None = Field(default=None, pattern="^(xray|document|wood)$")
    source_id: str | None = Field(default=None, max_length=64)


class InstructionCompletion(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    result: InstructionResult
    comment: str | None = Field(default=None, max_length=2000)
    version: int | None = Field(default=None, description="optimistic check: refuse (409) if the instruction moved on")


class InstructionCancellation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


class RuleSetPublic(BaseModel):
    version: int
    active: bool
    name: str
    description: str | None
    sha256: str
    rule_count: int
    uploaded_by: str
    created_at: datetime
    source: str | None = Field(default=None, description="the YAML as uploaded (on single-version reads)")


class RuleSetList(BaseModel):
    items: list[RuleSetPublic]


class RuleErrorPublic(BaseModel):
    line: int | None
    column: int | None
    path: str
    message: str


class RuleSummary(BaseModel):
    id: str
    channel: str
    scope: str | None = Field(description="the finding source the rule iterates over; None: declaration rule")
    when: str
    instructions: list[str]


class RuleValidationPublic(BaseModel):
    valid: bool
    errors: list[RuleErrorPublic]
    name: str | None = None
    sha256: str | None = None
    rules: list[RuleSummary] = []


def instruction_public(instruction: Instruction) -> InstructionPublic:
    base = f"/v1/instructions/{instruction.id}"
    return InstructionPublic(
        id=instruction.id, declaration_no=instruction.declaration_no, kind=instruction.kind,
        status=instruction.status, result=instruction.result, priority=instruction.priority,
        focus=instruction.focus or {}, reasons=[ReasonPublic(**r) for r in instruction.reasons or []],
        source=instruction.source, source_id=instruction.source_id, customs_office=instruction.customs_office,
        port=instruction.port, post_release=instruction.post_release, created_by=instruction.created_by,
        created_at=instruction.created_at, assignee=instruction.assignee, claimed_at=instruction.claimed_at,
        completed_by=instruction.completed_by, completed_at=instruction.completed_at, comment=instruction.comment,
        version=instruction.version,
        links={"self": base, "declaration": f"/v1/declarations/{instruction.declaration_no}",
               "claim": f"{base}/claim", "complete": f"{base}/complete"},
    )


def declaration_public(decl: Declaration, findings: list[ClearanceFinding]) -> DeclarationPublic:
    return DeclarationPublic(
        number=decl.number, direction=decl.direction, status=decl.status, channel=decl.channel,
        post_clearance_audit=decl.post_clearance_audit, customs_office=decl.customs_office, port=decl.port,
        declarant=PartyPublic(name=decl.declarant_name, code=decl.declarant_code),
        consignee=PartyPublic(name=decl.consignee_name, code=decl.consignee_code),
        transport=TransportPublic(mode=decl.transport_mode, bill_of_lading=decl.bill_of_lading, vessel=decl.vessel,
                                  voyage=decl.voyage),
        trade_country=decl.trade_country, loading_port=decl.loading_port, incoterm=decl.incoterm,
        currency=decl.currency, package_count=decl.package_count, gross_kg=decl.gross_kg, net_kg=decl.net_kg,
        total_value=decl.total_value, items=[ItemPublic.model_validate(i) for i in decl.items],
        containers=[ContainerPublic(number=c.container_no, size_type=c.size_type, tare_kg=c.tare_kg)
                    for c in decl.containers],
        documents=decl.documents or [], remarks=decl.remarks,
        instructions=[instruction_public(i) for i in decl.instructions],
        findings=[FindingRefPublic(source=f.source, source_id=f.source_id, verdict=f.verdict, recorded_at=f.created_at)
                  for f in findings],
        rule_set_version=decl.rule_set_version, declared_at=decl.declared_at, created_by=decl.created_by,
        created_at=decl.created_at, assessed_at=decl.assessed_at, released_at=decl.released_at,
        held_at=decl.held_at, clearance_seconds=clearance_seconds(decl), version=decl.version,
        links={"self": f"/v1/declarations/{decl.number}",
               "instructions": f"/v1/instructions?declaration_no={decl.number}"},
    )


def declaration_summary(decl: Declaration) -> DeclarationSummary:
    return DeclarationSummary(
        number=decl.number, direction=decl.direction, status=decl.status, channel=decl.channel,
        consignee=PartyPublic(name=decl.consignee_name, code=decl.consignee_code), customs_office=decl.customs_office,
        port=decl.port, open_instructions=sum(1 for i in decl.instructions if i.is_open), created_at=decl.created_at,
        released_at=decl.released_at, links={"self": f"/v1/declarations/{decl.number}"},
    )


def rule_set_public(stored: RuleSetVersion, *, active_version: int, with_source: bool = False) -> RuleSetPublic:
    return RuleSetPublic(
        version=stored.version, active=stored.version == active_version, name=stored.name,
        description=stored.description, sha256=stored.sha256, rule_count=stored.rule_count,
        uploaded_by=stored.uploaded_by, created_at=stored.created_at, source=stored.source if with_source else None,
    )


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    event_type: str
    subject: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
