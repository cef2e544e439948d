"""``smartinspect keys …`` and ``smartinspect db …``. Heavy imports wait inside the commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from smartinspect.domain.roles import Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@contextmanager
def _session() -> Iterator[Session]:
    """A session on the configured database, migrated to head first (idempotent; a fresh install gets tables)."""
    from smartinspect.config import get_settings
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    settings = get_settings()
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key, e.g. 'scanner gate 3'.")],
    role: Annotated[Role, typer.Option("--role", help="The one role the key carries.")],
) -> None:
    """Create a key and print it once: it is stored hashed and cannot be shown again."""
    from smartinspect.storage.apikeys import create_api_key

    with _session() as session, session.begin():
        key, token = create_api_key(session, name=name, role=role.value)
        key_id = key.id
    typer.echo(token)
    typer.echo(f"created key {key_id} ({role.value}) for {name!r}; store it now, it is not shown again", err=True)


@keys_app.command("list")
def list_keys() -> None:
    """List keys (id, prefix, role, name, created, revoked): never the secret."""
    from smartinspect.storage.apikeys import list_api_keys

    with _session() as session:
        keys = list_api_keys(session)
    if not keys:
        typer.echo("no API keys; create one with `smartinspect keys create --name … --role …`", err=True)
        return
    typer.echo(f"{'id':>4}  {'prefix':8}  {'role':9}  {'created':20}  {'revoked':20}  name")
    for key in keys:
        created = key.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        revoked = key.revoked_at.strftime("%Y-%m-%dT%H:%M:%SZ") if key.revoked_at else "-"
        typer.echo(f"{key.id:>4}  {key.prefix:8}  {key.role:9}  {created:20}  {revoked:20}  {key.name}")


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[int, typer.Argument(help="The key's id, from `keys list`.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from smartinspect.storage.apikeys import ApiKeyNotFound, revoke_api_key

    try:
        with _session() as session, session.begin():
            key = revoke_api_key(session, key_id=key_id)
            prefix = key.prefix
    except ApiKeyNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"revoked key {key_id} ({prefix})")


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the configured database (SMARTINSPECT_DATABASE_URL) up to ``revision``."""
    from smartinspect.config import get_settings
    from smartinspect.storage.db import upgrade_database

    settings = get_settings()
    settings.ensure_dirs()
    upgrade_database(settings.database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("gc-blobs")
def gc_blobs(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; delete nothing.")] = False,
    min_age_s: Annotated[float, typer.Option("--min-age-s", help="Keep unreferenced blobs younger than this "
                                             "(an upload writes its blob just before its row commits).")] = 3600.0,
) -> None:
    """Delete blobs that no scan, document, page, wood photo or feedback example names; report rows whose blob is
    missing (exit 1 if any). Prints a JSON report."""
    import json

    from smartinspect.config import get_settings
    from smartinspect.storage.blobrefs import collect_garbage
    from smartinspect.storage.blobs import make_blob_store

    settings = get_settings()
    with _session() as session:
        report = collect_garbage(session, make_blob_store(settings), feedback_root=settings.data_dir / "feedback",
                                 min_age_s=min_age_s, dry_run=dry_run)
    typer.echo(json.dumps(report.to_json(), indent=2))
    if report.missing:
        raise typer.Exit(1)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add ``keys`` and ``db`` to the CLI (called by smartinspect.cli)."""
    groups["app"].add_typer(keys_app, name="keys")
    groups["app"].add_typer(db_app, name="db")
