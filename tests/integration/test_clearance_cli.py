"""The clearance command line on a real SQLite database: declare, rules, report, audit verify."""

from __future__ import annotations

import json

from sqlalchemy import text
from typer.testing import CliRunner

from smartinspect.clearance.ruleset import default_rules_text
from smartinspect.cli import app
from smartinspect.storage.db import make_engine

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_declare_report_rules_and_audit(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = ["--database-url", url]
    jsonl = tmp_path / "declarations.jsonl"
    assert invoke("datagen", "declarations", "--out", str(jsonl), "--n", "30", "--seed", "3").exit_code == 0
    declared = invoke("clearance", "declare", str(jsonl), *db)
    assert declared.exit_code == 0, declared.output
    results = json.loads(declared.stdout)
    assert len(results) == 30 and all(r["created"] for r in results)
    assert {r["status"] for r in results} <= {"released", "assessed"}

    bad = tmp_path / "bad.yaml"
    bad.write_text(default_rules_text().replace("channel: yellow", "channel: amber", 1))
    checked = invoke("clearance", "rules", "validate", str(bad))
    assert checked.exit_code == 1 and ":36:14: (rules[1].channel)" in checked.stderr
    assert "'amber' is not one of" in checked.stderr
    refused = invoke("clearance", "rules", "upload", str(bad), *db)
    assert refused.exit_code == 1 and "unchanged" in refused.stderr
    good = tmp_path / "good.yaml"
    good.write_text(default_rules_text().replace("random < 0.03", "random < 0.05"))
    assert "version 2" in invoke("clearance", "rules", "upload", str(good), *db).stdout
    assert "random < 0.05" in invoke("clearance", "rules", "show", *db).stdout

    report = json.loads(invoke("clearance", "report", "--json", *db).stdout)
    assert report["channels"]["total"] == 30
    assert "Channel mix (30 declarations)" in invoke("clearance", "report", *db).stdout

    verified = invoke("audit", "verify", *db)
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_append_only_update"))
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 5"))
    engine.dispose()
    broken = invoke("audit", "verify", *db)
    assert broken.exit_code == 1 and "BROKEN at event 5" in broken.stderr
