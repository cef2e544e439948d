"""The audit chain is keyed and its end is checkpointed outside the database: truncation (delete the newest event
and rewind the head row), a full rewrite with a recomputed unkeyed chain, a wiped log and a forged checkpoint are
all detected, and `smartinspect audit verify` names the check that failed."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from smartinspect.cli import app
from smartinspect.config import get_settings
from smartinspect.storage.db import make_engine

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTINSPECT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SMARTINSPECT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    jsonl = tmp_path / "declarations.jsonl"
    assert invoke("datagen", "declarations", "--out", str(jsonl), "--n", "5", "--seed", "3").exit_code == 0
    assert invoke("clearance", "declare", str(jsonl)).exit_code == 0
    yield f"sqlite:///{tmp_path / 'cli.db'}"
    get_settings.cache_clear()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _sql(url: str, *statements: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only_delete"))
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def _last(url: str) -> tuple[int, str, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, prev_hash, hash FROM audit_events ORDER BY id DESC LIMIT 1")).one()
    engine.dispose()
    return row.id, row.prev_hash, row.hash


def test_truncation_is_detected_by_the_checkpoint(cli_db):
    ok = invoke("audit", "verify")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    last_id, prev_hash, _ = _last(cli_db)
    _sql(cli_db, f"DELETE FROM audit_events WHERE id = {last_id}",
         f"UPDATE audit_chain_head SET last_id = {last_id - 1}, last_hash = '{prev_hash}'")
    broken = invoke("audit", "verify")
    report = json.loads(broken.stdout)
    assert broken.exit_code == 1 and report["check"] == "checkpoint" and report["first_broken_id"] == last_id
    assert "truncation" in report["reason"] and "checkpoint check failed" in broken.stderr


def test_an_unkeyed_rewrite_does_not_verify(cli_db):
    _sql(cli_db, "UPDATE audit_events SET actor = 'someone else' WHERE id = 1")
    # the attacker recomputes sha256 links as the old unkeyed chain did; without the key the hashes differ
    engine = make_engine(cli_db)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT hash FROM audit_events WHERE id = 1")).one()
        forged = hashlib.sha256(("0" * 64 + "forged").encode()).hexdigest()
        conn.execute(text("UPDATE audit_events SET hash = :h WHERE id = 1"), {"h": forged})
        assert row.hash != forged
    engine.dispose()
    report = json.loads(invoke("audit", "verify").stdout)
    assert report["ok"] is False and report["check"] == "hashes" and report["first_broken_id"] == 1


def test_a_wiped_log_and_a_forged_checkpoint_are_detected(cli_db, tmp_path):
    _sql(cli_db, "DELETE FROM audit_events", "UPDATE audit_chain_head SET last_id = 0, last_hash = '" + "0" * 64 + "'")
    report = json.loads(invoke("audit", "verify").stdout)
    assert report["ok"] is False and report["check"] == "checkpoint" and "truncation" in report["reason"]
    (checkpoint,) = (tmp_path / "var" / "audit").glob("head-*.json")
    body = json.loads(checkpoint.read_text())
    checkpoint.write_text(json.dumps({**body, "last_id": 0}))  # rewind the file too: its signature breaks
    report = json.loads(invoke("audit", "verify").stdout)
    assert report["ok"] is False and report["check"] == "checkpoint" and "not signed" in report["reason"]
