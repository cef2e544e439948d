"""Alembic environment. Programmatic runs pass the engine in ``config.attributes["engine"]``."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Engine, text

from smartinspect.storage.db import make_engine
from smartinspect.storage.models import Base

config = context.config
target_metadata = Base.metadata
_MIGRATION_LOCK_KEY = 0x5E11_5EC7  # any constant shared by all smartinspect processes


def _engine() -> tuple[Engine, bool]:
    """The engine to migrate, and whether this run owns it (and so disposes of it)."""
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine, False
    # Command-line use: configure logging from the ini and take the URL from the settings.
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    from smartinspect.config import get_settings

    return make_engine(get_settings().database_url), True


def run_migrations_offline() -> None:
    from smartinspect.config import get_settings

    context.configure(
        url=get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine, owned = _engine()
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds tables (copy, drop, rename); with foreign keys on, dropping a referenced
                # table fails or cascades. The pragma only works outside a transaction, so it goes first.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,  # SQLite cannot ALTER most things: batch mode rebuilds the table
                transactional_ddl=True,  # our SQLite engine emits BEGIN itself, so a failed migration rolls back
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Replicas starting together migrate one at a time; the others then find nothing to do.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
                context.run_migrations()
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
            connection.commit()
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
