from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from smartinspect.storage.db import make_engine, normalise_database_url, ping


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/si", "postgresql+psycopg://u:p@db:5432/si"),
        ("postgres://u@db/si", "postgresql+psycopg://u@db/si"),
        ("postgresql+psycopg://u@db/si", "postgresql+psycopg://u@db/si"),
        ("sqlite:///var/si.db", "sqlite:///var/si.db"),
    ],
)
def test_postgres_urls_are_routed_to_psycopg(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize(
    ("url", "match"),
    [("mysql://u@db/si", "unsupported database 'mysql'"), ("postgresql+psycopg2://u@db/si", "psycopg 3")],
)
def test_unsupported_databases_are_refused(url: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_engine(url)


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30000
        assert ping(engine)
    finally:
        engine.dispose()


def test_sqlite_savepoints_work(tmp_path: Path) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; make_engine takes BEGIN over.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (v INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            nested = connection.begin_nested()
            connection.execute(text("INSERT INTO t VALUES (2)"))
            nested.rollback()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT v FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()


def test_ping_is_false_when_the_server_is_unreachable() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    try:
        assert ping(engine) is False
    finally:
        engine.dispose()
