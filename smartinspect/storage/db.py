"""Engines, sessions and migrations for SQLite (the embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
ALEMBIC_INI = Path(__file__).parent / "alembic.ini"
SQLITE_BUSY_TIMEOUT_S = 30.0
# Execution option of the engines behind read-only sessions: their transactions take no write lock.
READ_ONLY_OPTION = "smartinspect_read_only"
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")


def normalise_database_url(url: str) -> str:
    """Route plain PostgreSQL URLs (``postgresql://``, ``postgres://``) to psycopg 3 (``postgresql+psycopg://``)."""
    for prefix in _POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin): pysqlite's own transaction handling skips DDL and
        # breaks SAVEPOINTs, which migrations and the idempotent scan insert rely on.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; FULL costs an fsync per commit
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-only sessions (make_read_session_factory): a deferred BEGIN; in WAL mode a reader sees a snapshot
        # and takes no lock, so reads never wait for writers nor block them.
        # Write sessions: IMMEDIATE, i.e. take the write lock at the start (waiting up to the busy timeout). A
        # deferred transaction that read first cannot upgrade to a write once another connection has committed
        # ("database is locked", no waiting). Long work (inference, OCR, reading a request body) must not run
        # inside a write transaction: services commit before it, and the API authenticates on a read session.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``: SQLite (WAL, foreign keys, busy timeout, any thread) or PostgreSQL (psycopg 3)."""
    parsed = make_url(normalise_database_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        kwargs: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
        }
        if _is_memory_sqlite(parsed):  # one shared connection, else every checkout sees an empty database
            kwargs["poolclass"] = StaticPool
        engine = create_engine(parsed, echo=echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            msg = f"PostgreSQL is served through psycopg 3; got driver {parsed.get_driver_name()!r} in {parsed!r}"
            raise ValueError(msg)
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    msg = f"unsupported database {backend!r} in {parsed!r}; use sqlite:///path or postgresql://user@host/db"
    raise ValueError(msg)


def make_session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions for ``engine``. Objects stay readable after commit (no lazy reload outside a request).
    ``info``: copied into each session's ``info`` (e.g. the audit chain's key, see clearance/audit_anchor.py)."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=dict(info or {}))


def make_read_session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions for work that only reads (GET requests, authentication): on SQLite their transactions start
    deferred, so they take no write lock and never queue behind a writer (WAL snapshot reads). On PostgreSQL
    they are ordinary sessions: MVCC readers take no locks there anyway. A write through one still works (it
    takes the lock when it writes), but a write path should use :func:`make_session_factory`."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False,
                        info=dict(info or {}))


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config  # migrations only: keep alembic out of plain imports

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The URL travels as an attribute, not through the ini file, which would choke on '%' in passwords.
    config.attributes["engine"] = engine
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (from the installed package; no alembic.ini needed in cwd)."""
    from alembic import command

    parsed = make_url(normalise_database_url(url))
    if _is_memory_sqlite(parsed):
        msg = "an in-memory SQLite database cannot be migrated separately from its engine; use a file path"
        raise ValueError(msg)
    engine = make_engine(url)
    try:
        command.upgrade(_alembic_config(engine), revision)
    finally:
        engine.dispose()


def downgrade_database(url: str, revision: str = "base") -> None:
    """Run the Alembic migrations down to ``revision`` (``base``: drop every table)."""
    from alembic import command

    engine = make_engine(url)
    try:
        command.downgrade(_alembic_config(engine), revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, f"no migrations under {MIGRATIONS_DIR}"
    return head


def ping(engine: Engine) -> bool:
    """True when the database answers ``SELECT 1``; failures are logged, not raised (for /readyz)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # any driver error means "not ready"
        log.warning("database ping failed: %s", exc)
        return False
