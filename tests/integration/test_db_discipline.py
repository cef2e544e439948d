"""Reads take no write lock and nothing blocks the event loop: two clients (an officer on declarations, an
expert on the review queue) and a writer at once, against a real server; no request waits, none fails."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import text

from smartinspect.clearance.synthetic import example_declaration
from smartinspect.storage.db import make_engine, make_read_session_factory, make_session_factory
from tests.integration.live_server import live_server

ROUNDS = 25


def test_a_read_session_does_not_block_a_writer(tmp_path):
    from smartinspect.storage.db import upgrade_database

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with make_read_session_factory(engine)() as reader, make_session_factory(engine)() as writer:
            assert reader.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            reader.execute(text("SELECT count(*) FROM api_keys")).scalar()  # an open read transaction
            started = time.monotonic()
            writer.execute(text("UPDATE audit_chain_head SET last_id = last_id"))
            writer.commit()
            assert time.monotonic() - started < 1.0  # took the write lock at once: the reader holds none
    finally:
        engine.dispose()


@pytest.fixture
def settings(settings, db_url):
    """The live-server test runs on SQLite and on PostgreSQL."""
    return settings.model_copy(update={"database_url": db_url})


@pytest.fixture
def numbers() -> list[str]:
    return [f"2248202610{i + 99000:08d}" for i in range(6)]


def test_officer_and_expert_at_once_no_request_over_2_s(app, numbers):
    timings: dict[str, list[float]] = {"declarations": [], "cases": [], "healthz": [], "writes": []}
    failures: list[str] = []
    with live_server(app) as server:
        officer, expert = server.make_key("officer"), server.make_key("expert")

        def loop(name: str, method: str, path: str, key: str | None, bodies: list | None = None) -> None:
            headers = {"X-API-Key": key} if key else {}
            with httpx.Client(base_url=server.url, timeout=30) as http:
                for i in range(len(bodies) if bodies else ROUNDS):
                    started = time.monotonic()
                    response = http.request(method, path, headers=headers, json=bodies[i] if bodies else None)
                    timings[name].append(time.monotonic() - started)
                    if response.status_code >= 400:
                        failures.append(f"{name}: {response.status_code} {response.text[:200]}")

        work = [
            ("declarations", "GET", "/v1/declarations?limit=50", officer, None),
            ("cases", "GET", "/v1/review/cases", expert, None),
            ("healthz", "GET", "/healthz", None, None),
            ("writes", "POST", "/v1/declarations", officer, [example_declaration(n) for n in numbers]),
        ]
        threads = [threading.Thread(target=loop, args=args) for args in work]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not failures, failures
    assert all(len(timings[name]) == ROUNDS for name in ("declarations", "cases", "healthz"))
    slowest = {name: max(values) for name, values in timings.items()}
    assert max(slowest.values()) < 2.0, slowest
