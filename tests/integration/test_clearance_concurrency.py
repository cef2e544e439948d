"""Concurrency on SQLite and PostgreSQL: two writers at once never corrupt state (row locks + versions)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from smartinspect.clearance import service
from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.engine import random_draw
from smartinspect.clearance.errors import InstructionConflict
from smartinspect.clearance.findings import record_finding
from smartinspect.clearance.locks import begin_write
from smartinspect.clearance.synthetic import example_declaration, xray_payload
from smartinspect.storage.db import make_session_factory
from smartinspect.storage.models_clearance import AuditEvent, Declaration, Instruction

SEED = "smartinspect-default-1"
ROUNDS = 4


def clean_numbers(n: int, start: int = 1) -> list[str]:
    numbers, i = [], start
    while len(numbers) < n:
        number = f"2248202610{i:08d}"
        if (random_draw(SEED, "random-physical-inspection", number) >= 0.01
                and random_draw(SEED, "random-post-clearance-audit", number) >= 0.03):
            numbers.append(number)
        i += 1
    return numbers


def race(factory, *work: Callable[[Any], Any]) -> list[Any]:
    """Run each callable in its own thread and session, released together; return results or exceptions."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        with factory() as session:
            barrier.wait()
            try:
                results[i] = work[i](session)
                session.commit()
            except Exception as exc:  # the test inspects what each side got
                session.rollback()
                results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def inspect(session, number: str, scan_id: str) -> None:
    # Like the X-ray service, which writes the scan row before the finding: on SQLite a transaction that reads
    # before it writes can lose the race for the write lock ("database is locked").
    begin_write(session)
    record_finding(session, source="xray", source_id=scan_id, verdict="INSPECT", payload=xray_payload("INSPECT"),
                   declaration_no=number)


def declared_with_inspection(factory, number: str) -> int:
    with factory() as session:
        inspect(session, number, f"first-{number}")
        decl = service.create_declaration(session, data=DeclarationCreate.model_validate(example_declaration(number)),
                                          actor="officer-0")
        session.commit()
        (instruction,) = decl.instructions
        return instruction.id


@pytest.fixture
def settings(settings, db_url):
    return settings.model_copy(update={"database_url": db_url})


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)


def test_two_officers_complete_the_same_instruction_exactly_one_wins(factory):
    for number in clean_numbers(ROUNDS):
        instruction_id = declared_with_inspection(factory, number)
        results = race(factory, *[
            (lambda s, who=who, iid=instruction_id: service.complete_instruction(
                s, instruction_id=iid, actor=who, result="no_discrepancy", role="officer"))
            for who in ("officer-a", "officer-b")])
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert isinstance(losers[0], InstructionConflict) and losers[0].status == 409
        with factory() as session:
            instruction = session.get(Instruction, instruction_id)
            assert (instruction.status, instruction.completed_by) == ("completed", winners[0].completed_by)
            events = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.subject == f"instruction:{instruction_id}",
                AuditEvent.event_type == "instruction.completed"))
            assert events == 1
            assert session.scalar(select(Declaration.status).where(Declaration.number == number)) == "released"
    with factory() as session:
        assert service.verify_audit_chain(session) == (True, None)


def test_two_officers_over_http_one_gets_409(make_key, client):
    factory = client.app.state.session_factory
    (number,) = clean_numbers(1, start=900)
    instruction_id = declared_with_inspection(factory, number)
    keys = [make_key("officer", name=f"officer {i}") for i in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def post(key: str) -> None:
        barrier.wait()
        response = client.post(f"/v1/instructions/{instruction_id}/complete", json={"result": "discrepancy"},
                               headers={"X-API-Key": key})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200, 409]


def test_a_finding_arriving_while_release_is_decided_leaves_a_consistent_state(factory):
    for i, number in enumerate(clean_numbers(ROUNDS, start=200)):
        instruction_id = declared_with_inspection(factory, number)
        results = race(
            factory,
            lambda s, iid=instruction_id: service.complete_instruction(s, instruction_id=iid, actor="officer-a",
                                                                       result="no_discrepancy"),
            lambda s, i=i, number=number: inspect(s, number, f"late-{i}"),
        )
        assert not any(isinstance(r, Exception) for r in results), results
        with factory() as session:
            decl = session.scalar(select(Declaration).where(Declaration.number == number))
            instructions = session.scalars(select(Instruction).where(Instruction.declaration_id == decl.id)).all()
            assert len(instructions) == 2 and decl.channel == "red"
            late = next(x for x in instructions if x.id != instruction_id)
            if decl.status == "released":  # the completion won: the late finding is a post-release control
                assert late.post_release and late.created_at >= decl.released_at
            else:  # the finding won: the declaration waits for the new inspection
                assert decl.status == "assessed" and not late.post_release and late.status == "issued"
    with factory() as session:
        assert service.verify_audit_chain(session) == (True, None)


def test_a_declaration_and_its_finding_arriving_together_see_each_other(factory):
    for i, number in enumerate(clean_numbers(ROUNDS, start=400)):
        data = DeclarationCreate.model_validate(example_declaration(number))
        results = race(
            factory,
            lambda s, data=data: service.create_declaration(s, data=data, actor="officer-a"),
            lambda s, i=i, number=number: inspect(s, number, f"together-{i}"),
        )
        assert not any(isinstance(r, Exception) for r in results), results
        with factory() as session:
            decl = session.scalar(select(Declaration).where(Declaration.number == number))
            kinds = session.scalars(select(Instruction.kind).where(Instruction.declaration_id == decl.id)).all()
            assert (decl.channel, kinds) == ("red", ["physical_inspection"])


def test_the_same_declaration_submitted_twice_at_once_is_stored_once(factory):
    (number,) = clean_numbers(1, start=600)
    data = DeclarationCreate.model_validate(example_declaration(number))
    results = race(factory, *[lambda s: service.create_declarations(s, items=[data], actor="a")[0].created] * 2)
    assert sorted(results) == [False, True], results
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Declaration)) == 1
