"""Tables for declarations, instructions, rule sets, audit events (issue 5).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0002_clearance.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartinspect.domain.clearance import (
    Channel,
    DeclarationStatus,
    Direction,
    InstructionKind,
    InstructionResult,
    InstructionStatus,
    TransportMode,
)
from smartinspect.storage.models import Base, _in
from smartinspect.storage.types import JSONType, UTCDateTime, utcnow

ACTOR = 200  # length of "who" columns: "<key name>#<key id>" or "system"


class Declaration(Base):
    """One customs declaration (报关单): header, parties, transport, and the clearance outcome."""

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint(_in("direction", Direction), name="direction"),
        CheckConstraint(_in("status", DeclarationStatus), name="status"),
        CheckConstraint(_in("channel", Channel), name="channel"),
        CheckConstraint(_in("transport_mode", TransportMode), name="transport_mode"),
        Index("ix_declarations_status_channel", "status", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(18), unique=True)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    customs_office: Mapped[str] = mapped_column(String(4), index=True)  # accepting customs (number[:4])
    port: Mapped[str] = mapped_column(String(4))  # customs code of the entry/exit port, where controls happen
    declarant_name: Mapped[str] = mapped_column(String(200))
    declarant_code: Mapped[str] = mapped_column(String(18))
    consignee_name: Mapped[str] = mapped_column(String(200))
    consignee_code: Mapped[str] = mapped_column(String(18), index=True)
    transport_mode: Mapped[str] = mapped_column(String(16))
    bill_of_lading: Mapped[str | None] = mapped_column(String(64))
    vessel: Mapped[str | None] = mapped_column(String(100))
    voyage: Mapped[str | None] = mapped_column(String(32))
    trade_country: Mapped[str] = mapped_column(String(2))
    loading_port: Mapped[str | None] = mapped_column(String(64))
    incoterm: Mapped[str] = mapped_column(String(3))
    currency: Mapped[str] = mapped_column(String(3))
    package_count: Mapped[int | None] = mapped_column(Integer)
    gross_kg: Mapped[float] = mapped_column(Float)
    net_kg: Mapped[float] = mapped_column(Float)
    total_value: Mapped[float | None] = mapped_column(Float)  # None when items use several currencies
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    remarks: Mapped[str | None] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    request_sha256: Mapped[str] = mapped_column(String(64))  # canonical input: a true retry vs a conflict
    rule_set_version: Mapped[int | None] = mapped_column(Integer)
    post_clearance_audit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)

    items: Mapped[list[DeclarationItem]] = relationship(
        back_populates="declaration", order_by="DeclarationItem.line_no", cascade="all, delete-orphan"
    )
    containers: Mapped[list[DeclarationContainer]] = relationship(
        back_populates="declaration", order_by="DeclarationContainer.id", cascade="all, delete-orphan"
    )
    instructions: Mapped[list[Instruction]] = relationship(
        back_populates="declaration", order_by="Instruction.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - optimistic check on every UPDATE

    def __repr__(self) -> str:
        return f"Declaration(number={self.number!r}, status={self.status!r}, channel={self.channel!r})"


class DeclarationItem(Base):
    """One goods line (商品项)."""

    __tablename__ = "declaration_items"
    __table_args__ = (UniqueConstraint("declaration_id", "line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    hs_code: Mapped[str] = mapped_column(String(10), index=True)
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    gross_kg: Mapped[float] = mapped_column(Float)
    net_kg: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3))
    origin: Mapped[str] = mapped_column(String(2))

    declaration: Mapped[Declaration] = relationship(back_populates="items")


class DeclarationContainer(Base):
    """A container the goods travel in (ISO 6346 number, check digit verified)."""

    __tablename__ = "declaration_containers"
    __table_args__ = (UniqueConstraint("declaration_id", "container_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    container_no: Mapped[str] = mapped_column(String(11), index=True)
    size_type: Mapped[str | None] = mapped_column(String(4))  # ISO 6346 size-type code, e.g. 22G1, 45G1
    tare_kg: Mapped[float | None] = mapped_column(Float)

    declaration: Mapped[Declaration] = relationship(back_populates="containers")


class Instruction(Base):
    """A targeted-control instruction (布控指令) and its lifecycle: issued → in_progress → completed | cancelled."""

    __tablename__ = "instructions"
    __table_args__ = (
        UniqueConstraint("declaration_id", "dedupe_key"),
        CheckConstraint(_in("kind", InstructionKind), name="kind"),
        CheckConstraint(_in("status", InstructionStatus), name="status"),
        CheckConstraint(_in("result", InstructionResult), name="result"),
        Index("ix_instructions_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    declaration_no: Mapped[str] = mapped_column(String(18), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer)  # 1 most urgent ... 5 routine
    focus: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    source: Mapped[str | None] = mapped_column(String(16))  # the finding that triggered it: xray | document | wood
    source_id: Mapped[str | None] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(160))  # kind + finding: a reassessment never issues it twice
    customs_office: Mapped[str] = mapped_column(String(4))
    port: Mapped[str] = mapped_column(String(4), index=True)
    post_release: Mapped[bool] = mapped_column(Boolean, default=False)  # issued after the goods were released
    created_by: Mapped[str] = mapped_column(String(ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    assignee: Mapped[str | None] = mapped_column(String(ACTOR), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(ACTOR))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # completed or cancelled
    comment: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)

    declaration: Mapped[Declaration] = relationship(back_populates="instructions")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    @property
    def is_open(self) -> bool:
        return self.status in (InstructionStatus.issued, InstructionStatus.in_progress)

    def __repr__(self) -> str:
        return f"Instruction(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"


class RuleSetVersion(Base):
    """One uploaded, validated rule set. The highest version is the active one."""

    __tablename__ = "clearance_rule_sets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)  # the YAML exactly as uploaded
    rule_count: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RuleHit(Base):
    """A rule that fired for a declaration (per finding for finding rules), and the instruction it fed."""

    __tablename__ = "clearance_rule_hits"
    __table_args__ = (UniqueConstraint("declaration_id", "rule_id", "source_key", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_set_version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8))
    source_key: Mapped[str] = mapped_column(String(100))  # "xray:<scan id>", or "" for declaration rules
    kind: Mapped[str] = mapped_column(String(32))  # the instruction kind it asked for, or "" for none
    instruction_id: Mapped[int | None] = mapped_column(ForeignKey("instructions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    declaration: Mapped[Declaration] = relationship()
    instruction: Mapped[Instruction | None] = relationship()


class AuditEvent(Base):
    """An append-only event; ``hash = sha256(prev_hash + canonical JSON of the event)``."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # chain position, from 1
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    event_type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(100), index=True)  # "declaration:<no>", "instruction:<id>", ...
    actor: Mapped[str] = mapped_column(String(ACTOR))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"AuditEvent(id={self.id!r}, event_type={self.event_type!r}, subject={self.subject!r})"


class AuditChainHead(Base):
    """The one row that says where the chain ends; appends lock it, which serialises them."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
