"""The clearance workflow through the service functions, on SQLite and PostgreSQL (real databases, real rules)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from smartinspect.clearance import service
from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.engine import random_draw
from smartinspect.clearance.errors import DeclarationConflict, InstructionConflict, InstructionForbidden
from smartinspect.clearance.findings import record_finding
from smartinspect.clearance.reports import channel_mix, clearance_times, rule_hit_rates
from smartinspect.clearance.ruleset import RuleSetInvalid, default_rules_text
from smartinspect.clearance.rulestore import active_rules, upload_rule_set
from smartinspect.clearance.synthetic import example_declaration, synthetic_declarations, xray_payload
from smartinspect.storage.models_clearance import AuditEvent, Declaration, Instruction

SEED = "smartinspect-default-1"


def clean_number(i: int = 1) -> str:
    """A number the default random rules select for nothing (so a clean declaration stays green)."""
    while True:
        number = f"2248202610{i:08d}"
        if (random_draw(SEED, "random-physical-inspection", number) >= 0.01
                and random_draw(SEED, "random-post-clearance-audit", number) >= 0.03):
            return number
        i += 1


def declaration(number: str | None = None, **changes) -> DeclarationCreate:
    return DeclarationCreate.model_validate({**example_declaration(number or clean_number()), **changes})


def inspect_finding(session, number: str, scan_id: str = "scan-1") -> None:
    record_finding(session, source="xray", source_id=scan_id, verdict="INSPECT",
                   payload=xray_payload("INSPECT", class_name="firearm"), declaration_no=number)


def test_clean_declaration_is_released_in_one_call(session):
    decl = service.create_declaration(session, data=declaration(), actor="officer-a")
    session.commit()
    assert (decl.status, decl.channel, decl.instructions) == ("released", "green", [])
    assert decl.released_at == decl.created_at  # "0-second clearance"
    assert [i.line_no for i in decl.items] == [1] and decl.containers[0].container_no == "CSQU3054383"
    events = session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.id)).all()
    assert events == ["rules.uploaded", "declaration.created", "declaration.released"]


def test_contraband_scan_sends_red_then_a_discrepancy_holds(session):
    number = clean_number()
    service.create_declaration(session, data=declaration(number), actor="officer-a")
    session.commit()
    inspect_finding(session, number)  # the X-ray service's hand-off; clearance re-assesses in this transaction
    session.commit()
    decl = service.get_declaration(session, number=number)
    session.refresh(decl)
    (instruction,) = decl.instructions
    assert (decl.channel, instruction.kind, instruction.source, instruction.source_id) == (
        "red", "physical_inspection", "xray", "scan-1")
    assert instruction.post_release  # the declaration had been released before the scan arrived
    assert instruction.focus["areas"][0]["class_name"] == "firearm"
    service.claim_instruction(session, instruction_id=instruction.id, actor="officer-b", role="officer")
    session.commit()
    service.complete_instruction(session, instruction_id=instruction.id, result="seized", actor="officer-b",
                                 comment="pistol behind the cartons")
    session.commit()
    assert instruction.status == "completed" and instruction.result == "seized"


def test_finding_before_the_declaration_is_picked_up_and_a_discrepancy_holds(session):
    number = clean_number()
    inspect_finding(session, number)  # scan analysed before the declaration exists: nothing to re-assess yet
    session.commit()
    decl = service.create_declaration(session, data=declaration(number), actor="officer-a")
    session.commit()
    assert (decl.status, decl.channel) == ("assessed", "red")
    (instruction,) = decl.instructions
    assert not instruction.post_release and instruction.reasons[0]["rule_id"] == "xray-inspect"
    with pytest.raises(InstructionForbidden):
        service.claim_instruction(session, instruction_id=instruction.id, actor="expert-x", role="expert")
    session.rollback()
    service.complete_instruction(session, instruction_id=instruction.id, result="discrepancy", actor="officer-b")
    session.commit()
    session.refresh(decl)
    assert decl.status == "held" and decl.held_at is not None and decl.released_at is None
    with pytest.raises(InstructionConflict) as info:
        service.complete_instruction(session, instruction_id=instruction.id, result="no_discrepancy",
                                     actor="officer-c")
    assert info.value.code == "instruction_already_completed"
    session.rollback()


def test_inspection_without_discrepancy_releases(session):
    number = clean_number()
    record_finding(session, source="xray", source_id="s-review", verdict="REVIEW", payload=xray_payload("REVIEW"),
                   declaration_no=number)
    inspect_finding(session, number, "s-inspect")
    session.commit()
    decl = service.create_declaration(session, data=declaration(number), actor="officer-a")
    session.commit()
    by_kind = {i.kind: i for i in decl.instructions}
    assert set(by_kind) == {"image_review", "physical_inspection"} and decl.channel == "red"
    service.claim_instruction(session, instruction_id=by_kind["image_review"].id, actor="expert-x", role="expert")
    service.release_instruction(session, instruction_id=by_kind["image_review"].id, actor="expert-x")
    service.complete_instruction(session, instruction_id=by_kind["image_review"].id, result="no_discrepancy",
                                 actor="expert-y", role="expert")
    session.commit()
    session.refresh(decl)
    assert decl.status == "assessed"  # the physical inspection is still open
    service.complete_instruction(session, instruction_id=by_kind["physical_inspection"].id,
                                 result="no_discrepancy", actor="officer-b", role="officer")
    session.commit()
    session.refresh(decl)
    assert decl.status == "released" and decl.released_at > decl.created_at


def test_reassessment_is_idempotent(session):
    number = clean_number()
    inspect_finding(session, number)
    decl = service.create_declaration(session, data=declaration(number), actor="a")
    session.commit()
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    for _ in range(2):
        service.reassess_declaration(session, number=number, actor="a")
        inspect_finding(session, number)  # the same finding again (re-analysis replaces it)
        session.commit()
    assert session.scalar(select(func.count()).select_from(Instruction)) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert decl.channel == "red"


def test_retry_returns_the_stored_declaration_and_other_content_conflicts(session):
    data = declaration()
    first = service.create_declarations(session, items=[data], actor="a")
    session.commit()
    again = service.create_declarations(session, items=[data], actor="a")
    assert (first[0].created, again[0].created) == (True, False)
    assert again[0].declaration.id == first[0].declaration.id
    with pytest.raises(DeclarationConflict, match="other content"):
        service.create_declarations(session, items=[declaration(data.number, remarks="changed")], actor="a")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Declaration)) == 1


def test_batch_is_all_or_nothing(session):
    good = declaration(clean_number(1))
    service.create_declarations(session, items=[good], actor="a")
    session.commit()
    batch = [declaration(clean_number(50)), declaration(good.number, remarks="other")]
    with pytest.raises(DeclarationConflict):
        service.intake_declarations(session, items=batch, actor="a")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Declaration)) == 1


def test_manual_instruction_cancel_and_release(session):
    number = clean_number()
    decl = service.create_declaration(session, data=declaration(number), actor="a")
    session.commit()
    issued = service.issue_instruction(session, declaration_no=number, kind="document_check",
                                       reasons=["tip-off: undervalued invoice"], actor="officer-a")
    again = service.issue_instruction(session, declaration_no=number, kind="document_check",
                                      reasons=["tip-off: undervalued invoice"], actor="officer-a")
    session.commit()
    assert issued.id == again.id and issued.post_release and decl.channel == "yellow"
    service.cancel_instruction(session, instruction_id=issued.id, actor="officer-a", reason="invoice verified")
    session.commit()
    assert issued.status == "cancelled" and issued.comment == "invoice verified"


def test_invalid_rules_keep_the_active_version_and_a_new_version_is_used_at_once(session):
    assert active_rules(session).version == 1
    session.commit()
    with pytest.raises(RuleSetInvalid):
        upload_rule_set(session, text=default_rules_text().replace("channel: red", "channel: scarlet"), actor="x")
    session.rollback()
    assert active_rules(session).version == 1
    strict = default_rules_text().replace('watch_countries: ["KP"]', 'watch_countries: ["KP", "DE"]')
    upload_rule_set(session, text=strict, actor="admin")
    session.commit()
    decl = service.create_declaration(session, data=declaration(), actor="a")
    assert (decl.rule_set_version, decl.channel) == (2, "yellow")


def test_reports(session):
    numbers = [clean_number(1), clean_number(100), clean_number(200)]
    service.create_declarations(session, items=[declaration(numbers[0])], actor="a")
    for i, number in enumerate(numbers[1:]):
        inspect_finding(session, number, f"s{i}")
    service.create_declarations(session, items=[declaration(n) for n in numbers[1:]], actor="a")
    session.commit()
    for i, instruction in enumerate(service.list_instructions(session)):
        service.complete_instruction(session, instruction_id=instruction.id, actor="o",
                                     result="discrepancy" if i == 0 else "no_discrepancy")
    session.commit()
    (xray,) = [r for r in rule_hit_rates(session) if r.rule_id == "xray-inspect"]
    assert (xray.hits, xray.instructions, xray.completed, xray.discrepancies, xray.hit_rate) == (2, 2, 2, 1, 0.5)
    mix = channel_mix(session)
    assert mix.total == 3 and {c.channel: c.count for c in mix.channels}["red"] == 2
    assert mix.by_status == {"assessed": 0, "released": 2, "held": 1}
    times = clearance_times(session)
    assert (times.released, times.held, times.pending) == (2, 1, 0)
    assert times.histogram[0].count >= 1 and times.p50_s is not None


def test_audit_chain_verifies_and_detects_tampering(session, engine):
    number = clean_number()
    inspect_finding(session, number)
    service.create_declaration(session, data=declaration(number), actor="a")
    service.create_declaration(session, data=declaration(clean_number(300)), actor="a")
    session.commit()
    assert service.verify_audit_chain(session) == (True, None)
    last = session.scalar(select(func.max(AuditEvent.id)))
    session.rollback()  # end the read snapshot before another connection writes
    postgres = engine.dialect.name == "postgresql"
    try:
        with engine.begin() as conn:
            # An attacker with database access first has to get past the append-only triggers.
            for statement in (["ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"] if postgres
                              else ["DROP TRIGGER audit_events_append_only_update",
                                    "DROP TRIGGER audit_events_append_only_delete"]):
                conn.execute(text(statement))
            original = conn.execute(text("SELECT CAST(payload AS TEXT) FROM audit_events WHERE id = 3")).scalar()
            conn.execute(text("UPDATE audit_events SET payload = :p WHERE id = 3"), {"p": '{"number": "forged"}'})
        assert service.verify_audit_chain(session) == (False, 3)
        assert "changed after it was written" in service.check_audit_chain(session).reason
        session.rollback()
        with engine.begin() as conn:  # deleting the newest events is caught by the chain head
            conn.execute(text(f"DELETE FROM audit_events WHERE id >= {last - 1}"))
            conn.execute(text("UPDATE audit_events SET payload = :p WHERE id = 3"), {"p": original})
        assert service.verify_audit_chain(session) == (False, last - 1)
    finally:
        session.rollback()
        if postgres:  # the PostgreSQL database is shared by the session's tests
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def test_append_only_triggers_refuse_updates(session, engine):
    service.create_declaration(session, data=declaration(), actor="a")
    session.commit()
    with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))


def test_bulk_intake_writes_every_row_and_a_verifiable_chain(session):
    items = synthetic_declarations(40, seed=11, start=7000)  # enough rows for COPY on PostgreSQL
    results = service.intake_declarations(session, items=items, actor="bulk")
    session.commit()
    assert [r.number for r in results] == [d.number for d in items] and all(r.created for r in results)
    decl = service.get_declaration(session, number=items[7].number)
    assert [i.hs_code for i in decl.items] == [i.hs_code for i in items[7].items]
    assert [c.container_no for c in decl.containers] == [c.number for c in items[7].containers]
    assert decl.documents == [d.model_dump(mode="json") for d in items[7].documents]
    assert session.scalar(select(func.count()).select_from(Declaration)) == 40
    assert service.verify_audit_chain(session) == (True, None)
