"""Migrations on SQLite and PostgreSQL: they reach head, match the models, and go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from smartinspect.storage.db import current_revision, downgrade_database, head_revision, upgrade_database
from smartinspect.storage.models import Base

TABLES = {"api_keys", "scans", "clearance_findings"}


def test_database_is_at_head_with_the_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert TABLES.issubset(inspect(engine).get_table_names())


def test_upgrade_is_idempotent(db_url: str, engine: Engine) -> None:
    upgrade_database(db_url)
    assert current_revision(engine) == head_revision()


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; write a migration for: {diff}"


def test_downgrade_to_base_and_back(db_url: str, engine: Engine) -> None:
    downgrade_database(db_url, "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert current_revision(engine) is None
    upgrade_database(db_url)
    assert TABLES.issubset(inspect(engine).get_table_names())
    assert current_revision(engine) == head_revision()
