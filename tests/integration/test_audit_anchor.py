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


def _make_legacy(url: str, *, tamper: bool = False) -> None:
    """Turn the chain into what the unkeyed version wrote: sha256 links, no checkpoint."""
    from smartinspect.clearance.audit import GENESIS_HASH, event_hash, normalise_payload

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only_update"))
        rows = conn.execute(text("SELECT id, created_at, event_type, subject, actor, payload FROM audit_events "
                                 "ORDER BY id")).all()
        prev = GENESIS_HASH
        from datetime import UTC, datetime

        for row in rows:
            created = datetime.fromisoformat(str(row.created_at)).replace(tzinfo=UTC)
            payload = normalise_payload(json.loads(row.payload))
            digest = event_hash(prev, key=None, id=row.id, created_at=created, event_type=row.event_type,
                                subject=row.subject, actor=row.actor, payload=payload)
            conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"),
                         {"p": prev, "h": digest, "i": row.id})
            prev = digest
        conn.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})
        if tamper:
            conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 2"))
    engine.dispose()


def test_a_legacy_unkeyed_chain_is_rekeyed_once_verified(cli_db, tmp_path):
    _make_legacy(cli_db)
    for checkpoint in (tmp_path / "var" / "audit").glob("head-*.json"):
        checkpoint.unlink()  # the unkeyed version kept none
    assert json.loads(invoke("audit", "verify").stdout)["check"] == "hashes"
    rekeyed = invoke("audit", "rekey")
    assert rekeyed.exit_code == 0 and json.loads(rekeyed.stdout)["rekeyed"] is True
    verified = invoke("audit", "verify")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    assert list((tmp_path / "var" / "audit").glob("head-*.json"))  # checkpointed from now on
    assert json.loads(invoke("audit", "rekey").stdout)["rekeyed"] is False  # once


def test_a_tampered_legacy_chain_is_not_rekeyed(cli_db):
    _make_legacy(cli_db, tamper=True)
    refused = invoke("audit", "rekey")
    assert refused.exit_code == 1 and "event 2 does not verify" in refused.stderr
    assert json.loads(invoke("audit", "verify").stdout)["ok"] is False
