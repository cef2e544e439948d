from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from smartinspect.storage.db import make_engine


def test_healthz_is_always_ok(client: TestClient, registry: Any) -> None:
    registry.ready = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_models_and_database_are_up(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": True, "models": True}}


def test_readyz_503_when_the_registry_is_not_ready(client: TestClient, registry: Any) -> None:
    registry.ready = False
    response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["checks"] == {"database": True, "models": False}
    assert "models" in error["message"]


def test_readyz_503_when_the_database_is_down(app: FastAPI, client: TestClient) -> None:
    unreachable = make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    app.state.engine, working = unreachable, app.state.engine
    try:
        response = client.get("/readyz")
    finally:
        app.state.engine = working
        unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["error"]["details"]["checks"] == {"database": False, "models": True}


def test_lifespan_fills_state_and_leaves_an_injected_registry_open(app: FastAPI, registry: Any) -> None:
    with TestClient(app):
        assert app.state.registry is registry
        assert app.state.blob_store.root == app.state.settings.blob_dir
        assert app.state.settings.blob_dir.is_dir()
    assert not registry.closed
