"""Declaration intake: validate → assess → insert, in bulk, in one transaction (the fast path).

Rows are written with Core multi-row INSERTs (one statement per table per batch) instead of one ORM object per
row: most declarations are green and need nothing but their own rows and two audit events. Instructions and
rule hits (a few percent of declarations) go through the ORM. All or nothing: any conflict raises before a row
is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from smartinspect.clearance.audit import EventIn, append_audit_events
from smartinspect.clearance.bulk import insert_rows
from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.engine import Assessment, assess
from smartinspect.clearance.errors import DeclarationConflict
from smartinspect.clearance.fields import DeclarationView
from smartinspect.clearance.locks import begin_write, dialect, lock_numbers
from smartinspect.clearance.outcome import apply_assessment, findings_for, issued_events
from smartinspect.clearance.rulestore import active_rules
from smartinspect.domain.clearance import DeclarationStatus
from smartinspect.storage.models_clearance import Declaration, DeclarationContainer, DeclarationItem, Instruction
from smartinspect.storage.types import utcnow


@dataclass(frozen=True)
class IntakeResult:
    """What happened to one submitted declaration."""

    number: str
    declaration_id: int
    created: bool  # False: an identical retry; the stored declaration is reported
    status: str
    channel: str
    instruction_ids: tuple[int, ...]


def declaration_record(data: DeclarationCreate, *, actor: str, now: datetime) -> SimpleNamespace:
    """The declaration as column values (the rows to insert) and as attributes (what the rules read)."""
    items = [
        {"line_no": i, "hs_code": it.hs_code, "description": it.description, "quantity": it.quantity,
         "unit": it.unit, "gross_kg": it.gross_kg, "net_kg": it.net_kg, "value": it.value,
         "currency": data.item_currency(it), "origin": it.origin}
        for i, it in enumerate(data.items, start=1)
    ]
    containers = [{"container_no": c.number, "size_type": c.size_type, "tare_kg": c.tare_kg} for c in data.containers]
    row = {
        "number": data.number, "direction": data.direction.value, "status": DeclarationStatus.assessed.value,
        "channel": "green", "customs_office": data.customs_office, "port": data.port,
        "declarant_name": data.declarant.name, "declarant_code": data.declarant.code,
        "consignee_name": data.consignee.name, "consignee_code": data.consignee.code,
        "transport_mode": data.transport.mode.value, "bill_of_lading": data.transport.bill_of_lading,
        "vessel": data.transport.vessel, "voyage": data.transport.voyage, "trade_country": data.trade_country,
        "loading_port": data.loading_port, "incoterm": data.incoterm, "currency": data.currency,
        "package_count": data.package_count, "gross_kg": sum(it["gross_kg"] for it in items),
        "net_kg": sum(it["net_kg"] for it in items), "total_value": data.total_value(),
        "documents": [d.model_dump(mode="json") for d in data.documents], "remarks": data.remarks,
        "declared_at": data.declared_at or now, "request_sha256": data.request_sha256(),
        "rule_set_version": None, "post_clearance_audit": False, "created_by": actor, "created_at": now,
        "assessed_at": now, "released_at": None, "held_at": None, "version": 1,
    }
    view = SimpleNamespace(id=None, **row, items=[SimpleNamespace(**it) for it in items],
                           containers=[SimpleNamespace(**c) for c in containers])
    return SimpleNamespace(row=row, items=items, containers=containers, view=view)


def _conflicts(items: Sequence[DeclarationCreate], stored: dict[str, Any]) -> None:
    numbers = [d.number for d in items]
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    if twice:
        raise DeclarationConflict(f"declaration numbers appear twice in one request: {twice}", {"numbers": twice})
    clash = [d.number for d in items if d.number in stored and stored[d.number].request_sha256 != d.request_sha256()]
    if clash:
        raise DeclarationConflict(f"declarations {clash} exist with other content; a new declaration needs a new "
                                  "number", {"numbers": clash})


def _replayed(session: Session, stored: dict[str, Any]) -> dict[str, IntakeResult]:
    ids = [row.id for row in stored.values()]
    instructions: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        query = select(Instruction.declaration_id, Instruction.id).where(Instruction.declaration_id.in_(ids))
        for declaration_id, instruction_id in session.execute(query.order_by(Instruction.id)):
            instructions[declaration_id].append(instruction_id)
    return {n: IntakeResult(n, r.id, False, r.status, r.channel, tuple(instructions[r.id])) for n, r in stored.items()}


def intake_declarations(session: Session, *, items: Sequence[DeclarationCreate], actor: str) -> list[IntakeResult]:
    """Create and assess ``items``, all or nothing (flushes; the caller commits). Results follow input order.

    Each declaration gets a channel from the active rules and the instructions they issue, picking up findings
    already recorded for its number; with no instruction it is released at once. An identical retry is reported
    as stored (``created=False``); other content under an existing number raises :class:`DeclarationConflict`.
    """
    begin_write(session)
    lock_numbers(session, [d.number for d in items])
    columns = (Declaration.number, Declaration.id, Declaration.request_sha256, Declaration.status, Declaration.channel)
    stored = {r.number: r for r in session.execute(select(*columns).where(
        Declaration.number.in_([d.number for d in items])))}
    _conflicts(items, stored)
    results = _replayed(session, stored)
    fresh = [d for d in items if d.number not in stored]
    if fresh:
        results.update(_insert(session, fresh, actor=actor))
    return [results[d.number] for d in items]


def _insert(session: Session, fresh: list[DeclarationCreate], *, actor: str) -> dict[str, IntakeResult]:
    rules = active_rules(session)
    findings = findings_for(session, [d.number for d in fresh])
    now = utcnow()
    records = [declaration_record(data, actor=actor, now=now) for data in fresh]
    assessments: list[Assessment] = []
    for record in records:
        assessment = assess(rules.rule_set, DeclarationView(record.view, findings.get(record.row["number"], {})),
                            version=rules.version)
        released = not assessment.instructions
        record.row.update(channel=assessment.channel.value, rule_set_version=rules.version,
                          post_clearance_audit=assessment.post_clearance_audit,
                          status=(DeclarationStatus.released if released else DeclarationStatus.assessed).value,
                          released_at=now if released else None)
        assessments.append(assessment)
    _insert_declarations(session, records)
    # COPY (PostgreSQL) or executemany, not the ORM bulk path: no per-row ORM bookkeeping.
    insert_rows(session, DeclarationItem.__table__, [row for r in records for row in r.items])
    insert_rows(session, DeclarationContainer.__table__, [row for r in records for row in r.containers])
    issued = _issue(session, records, assessments, actor=actor, now=now)
    append_audit_events(session, events=[e for r, a in zip(records, assessments, strict=True)
                                         for e in _events(r.row, a, issued.get(r.view.id, []), actor)])
    return {r.row["number"]: IntakeResult(r.row["number"], r.view.id, True, r.row["status"], r.row["channel"],
                                          tuple(i.id for i in issued.get(r.view.id, [])))
            for r in records}


def _insert_declarations(session: Session, records: list[SimpleNamespace]) -> None:
    """Insert the declaration rows and give every record (and its lines and containers) its id."""
    table = Declaration.__table__
    if len(records) == 1 and dialect(session) == "postgresql":  # one round trip instead of two
        ids = [session.execute(insert(table).returning(table.c.id), records[0].row).scalar_one()]
    else:
        ids = _allocate_ids(session, len(records))
        for record, declaration_id in zip(records, ids, strict=True):
            record.row["id"] = declaration_id
        insert_rows(session, table, [r.row for r in records])
    for record, declaration_id in zip(records, ids, strict=True):
        record.view.id = declaration_id
        for row in (*record.items, *record.containers):
            row["declaration_id"] = declaration_id


def _allocate_ids(session: Session, n: int) -> list[int]:
    """Ids for ``n`` new declarations, so the rows go in as one executemany (no RETURNING round trips)."""
    if dialect(session) == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence('declarations', 'id')) FROM generate_series(1, :n)")
        return list(session.execute(query, {"n": n}).scalars())
    # SQLite: begin_write holds the only write lock, so nobody else can take these ids meanwhile.
    first = (session.scalar(select(func.max(Declaration.id))) or 0) + 1
    return list(range(first, first + n))


def _issue(session: Session, records: list[SimpleNamespace], assessments: list[Assessment], *, actor: str,
           now: datetime) -> dict[int, list[Instruction]]:
    issued: dict[int, list[Instruction]] = {}
    new_rows: list[Any] = []
    for record, assessment in zip(records, assessments, strict=True):
        if assessment.hits:
            instructions, hits = apply_assessment(record.view, assessment, actor=actor, now=now)
            issued[record.view.id] = instructions
            new_rows += [*instructions, *hits]
    if new_rows:
        session.add_all(new_rows)
        session.flush()
    return issued


def _events(row: dict[str, Any], assessment: Assessment, instructions: list[Instruction], actor: str,
            ) -> list[EventIn]:
    subject = f"declaration:{row['number']}"
    events = [EventIn("declaration.created", subject, {
        "number": row["number"], "direction": row["direction"], "consignee": row["consignee_code"],
        "request_sha256": row["request_sha256"], "channel": row["channel"], "status": row["status"],
        "rule_set_version": row["rule_set_version"], "instructions": [i.id for i in instructions],
        "hits": [{"rule_id": h.rule.id, "source": h.source_key or None} for h in assessment.hits],
    }, actor)]
    events += issued_events(instructions, actor)
    if row["status"] == DeclarationStatus.released:
        events.append(EventIn("declaration.released", subject,
                              {"number": row["number"], "channel": row["channel"], "clearance_seconds": 0}, actor))
    return events
