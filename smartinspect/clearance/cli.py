"""``smartinspect clearance …``, ``smartinspect audit verify``, ``smartinspect bench clearance`` and
``smartinspect datagen declarations``. Heavy imports wait inside the commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

clearance_app = typer.Typer(help="Declarations, risk rules, reports (the clearance workflow).", no_args_is_help=True)
rules_app = typer.Typer(help="Risk rule sets: validate, upload (hot reload), show.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
CLI_ACTOR = "cli"
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="default: SMARTINSPECT_DATABASE_URL")]


@contextmanager
def _session(database_url: str | None = None) -> Iterator[Session]:
    from smartinspect.clearance.audit_anchor import audit_info
    from smartinspect.config import get_settings
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    settings = get_settings()
    url = database_url
    if url is None:
        settings.ensure_dirs()
        url = settings.database_url
    upgrade_database(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine, info=audit_info(settings, url))() as session:
            yield session
    finally:
        engine.dispose()


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=code)


def _print_errors(file: Path, exc: Any) -> None:
    """Compiler-style lines (``file:line:column: message``) that editors can jump to."""
    for error in exc.errors:
        where = ":".join(str(v) for v in (error.line, error.column) if v)
        path = f" ({error.path})" if error.path else ""
        typer.echo(f"{file}:{where}:{path} {error.message}", err=True)


@audit_app.command("verify")
def audit_verify(database_url: DatabaseUrl = None) -> None:
    """Recompute the keyed hash chain and compare its end with the head row and the signed checkpoint file; exit 1
    naming the failed check (links, hashes, head, checkpoint) and the first broken event."""
    from smartinspect.clearance.audit import check_audit_chain

    with _session(database_url) as session:
        report = check_audit_chain(session)
    _echo(asdict(report))
    if not report.ok:
        _fail(f"audit chain BROKEN at event {report.first_broken_id} ({report.check} check failed): {report.reason}")
    typer.echo(f"audit chain OK: {report.events_checked} events, head {report.head_hash}", err=True)


@audit_app.command("rekey")
def audit_rekey(database_url: DatabaseUrl = None) -> None:
    """One-time upgrade: re-hash a chain written before the audit key existed (plain sha256) with the key, after
    verifying it with the old hash; a tampered chain is left alone (exit 1)."""
    from smartinspect.clearance.audit_rekey import rekey_legacy_chain
    from smartinspect.clearance.errors import AuditChainBroken

    with _session(database_url) as session:
        try:
            report = rekey_legacy_chain(session)
        except AuditChainBroken as exc:
            _fail(f"not re-keyed: {exc}")
    _echo(asdict(report))


@rules_app.command("validate")
def rules_validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check a rule file; print every problem with its line (exit 1), or a summary of the rules."""
    from smartinspect.clearance.ruleset import RuleSetInvalid, load_rule_set

    try:
        rule_set = load_rule_set(file.read_text(encoding="utf-8"))
    except RuleSetInvalid as exc:
        _print_errors(file, exc)
        raise typer.Exit(code=1) from None
    for rule in rule_set.rules:
        kinds = ",".join(s.kind.value for s in rule.instructions) or "-"
        typer.echo(f"{rule.id:32} {rule.channel.value:7} {rule.scope or 'declaration':12} {kinds}")
    typer.echo(f"{file}: valid, {len(rule_set.rules)} rules, sha256 {rule_set.sha256}", err=True)


@rules_app.command("upload")
def rules_upload(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
                 database_url: DatabaseUrl = None) -> None:
    """Store a new rule set version; it is active for the next assessment everywhere (hot reload)."""
    from smartinspect.clearance.ruleset import RuleSetInvalid
    from smartinspect.clearance.rulestore import upload_rule_set

    with _session(database_url) as session:
        try:
            stored = upload_rule_set(session, text=file.read_text(encoding="utf-8"), actor=CLI_ACTOR)
            session.commit()
        except RuleSetInvalid as exc:
            session.rollback()
            _print_errors(file, exc)
            _fail("refused; the active rule set is unchanged")
        typer.echo(f"rule set version {stored.version} ({stored.name}, {stored.rule_count} rules) is active")


@rules_app.command("show")
def rules_show(version: Annotated[int | None, typer.Option(help="default: the active version")] = None,
               database_url: DatabaseUrl = None) -> None:
    """Print a stored version's YAML."""
    from smartinspect.clearance.errors import RuleSetNotFound
    from smartinspect.clearance.rulestore import get_rule_set

    with _session(database_url) as session:
        try:
            stored = get_rule_set(session, version=version)
            session.commit()
        except RuleSetNotFound as exc:
            _fail(str(exc))
        typer.echo(f"# version {stored.version}, uploaded by {stored.uploaded_by} at {stored.created_at}", err=True)
        typer.echo(stored.source)


@rules_app.command("list")
def rules_list(database_url: DatabaseUrl = None) -> None:
    """Every stored version, newest (active) first."""
    from smartinspect.clearance.rulestore import active_rules, list_rule_sets

    with _session(database_url) as session:
        active_rules(session)
        session.commit()
        for stored in list_rule_sets(session):
            typer.echo(f"{stored.version:>4}  {stored.created_at:%Y-%m-%dT%H:%M:%SZ}  {stored.rule_count:>3} rules  "
                       f"{stored.sha256[:12]}  {stored.name}  ({stored.uploaded_by})")


@clearance_app.command("declare")
def declare(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                 help="JSON (one declaration or a list) or .jsonl")],
            database_url: DatabaseUrl = None) -> None:
    """Submit declarations from a file (one transaction); print number, channel and status of each."""
    from pydantic import ValidationError

    from smartinspect.clearance.declarations import DeclarationCreate
    from smartinspect.clearance.errors import ClearanceError
    from smartinspect.clearance.intake import intake_declarations

    text = file.read_text(encoding="utf-8")
    if file.suffix == ".jsonl":
        raw = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        raw = json.loads(text)
    try:
        items = [DeclarationCreate.model_validate(d) for d in (raw if isinstance(raw, list) else [raw])]
    except ValidationError as exc:
        _fail(f"{file}: not a valid declaration:\n{exc}")
    with _session(database_url) as session:
        try:
            results = intake_declarations(session, items=items, actor=CLI_ACTOR)
            session.commit()
        except ClearanceError as exc:
            session.rollback()
            _fail(exc.message)
    _echo([asdict(r) for r in results])


@clearance_app.command("reassess")
def reassess(number: str, database_url: DatabaseUrl = None) -> None:
    """Re-run the active rules over one declaration and its findings (idempotent)."""
    from smartinspect.clearance.errors import ClearanceError
    from smartinspect.clearance.service import reassess_declaration

    with _session(database_url) as session:
        try:
            decl = reassess_declaration(session, number=number, actor=CLI_ACTOR)
            session.commit()
        except ClearanceError as exc:
            _fail(exc.message)
        typer.echo(f"{decl.number}: channel {decl.channel}, status {decl.status}")


@clearance_app.command("report")
def report(since: Annotated[datetime | None, typer.Option(help="declarations received from (ISO 8601)")] = None,
           until: Annotated[datetime | None, typer.Option(help="... until, exclusive")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
           database_url: DatabaseUrl = None) -> None:
    """Hit rate per rule, channel mix and clearance-time distribution."""
    from smartinspect.clearance.reports import channel_mix, clearance_times, rule_hit_rates

    with _session(database_url) as session:
        hits = rule_hit_rates(session, since=since, until=until)
        mix = channel_mix(session, since=since, until=until)
        times = clearance_times(session, since=since, until=until)
    if as_json:
        _echo({"rule_hits": [asdict(h) for h in hits], "channels": asdict(mix), "clearance_times": asdict(times)})
        return
    from smartinspect.clearance.reports import render_report

    typer.echo(render_report(hits, mix, times))


def datagen_declarations(
    out: Annotated[Path, typer.Option(help="JSON lines file to write")] = Path("var/declarations.jsonl"),
    n: Annotated[int, typer.Option("--n", help="how many")] = 100,
    seed: Annotated[int, typer.Option()] = 0,
    start: Annotated[int, typer.Option(help="first 9-digit sequence number")] = 1,
) -> None:
    """Write valid synthetic declarations (JSON lines) for `clearance declare` or POST /v1/declarations."""
    from smartinspect.clearance.synthetic import synthetic_declarations

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for data in synthetic_declarations(n, seed=seed, start=start):
            f.write(data.model_dump_json(exclude_none=True) + "\n")
    typer.echo(f"wrote {n} declarations to {out}", err=True)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the clearance commands to the main CLI (see smartinspect/cli.py)."""
    clearance_app.add_typer(rules_app, name="rules")
    groups["app"].add_typer(clearance_app, name="clearance")
    groups["app"].add_typer(audit_app, name="audit")
    groups["datagen"].command("declarations")(datagen_declarations)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(clearance_app())
