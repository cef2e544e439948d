"""GET /v1/models and POST /v1/models/reload through the real app (lifespan loads tiny real ONNX packages)."""

import time

import pytest
from fastapi import FastAPI

from smartinspect.api.app import create_app


@pytest.fixture
def app(settings, package_writer) -> FastAPI:
    package_writer(settings.models_dir, version="1")
    return create_app(settings)


def test_list_shows_what_is_served(client, make_key):
    response = client.get("/v1/models", headers={"X-API-Key": make_key("scientist")})
    assert response.status_code == 200
    body = response.json()
    assert body["ready"] is True and body["generation"] == 0 and body["last_reload"] is None
    (model,) = body["models"]
    assert model["name"] == "double" and model["version"] == "1" and len(model["sha256"]) == 64
    assert model["providers"] == ["CPUExecutionProvider"] and model["loaded_at"]
    assert model["metrics"] == {"test": {"map50": 0.5}}
    assert model["registry"] == {"name": "double", "version": "1", "alias": "champion", "run_id": None,
                                 "promoted_at": None}


def test_reload_swaps_and_the_new_version_is_listed(client, make_key, settings, package_writer):
    admin = {"X-API-Key": make_key("admin")}
    package_writer(settings.models_dir, version="2", factor=3.0)
    response = client.post("/v1/models/reload", headers=admin)
    assert response.status_code == 200
    assert response.json()["reload"]["changed"] == {"double": {"from": "1", "to": "2"}}
    listed = client.get("/v1/models", headers=admin).json()
    assert [m["version"] for m in listed["models"]] == ["2"] and listed["generation"] == 1
    assert listed["last_reload"]["status"] == "reloaded"


def test_failed_reload_is_409_and_keeps_the_old_model(client, make_key, settings, package_writer):
    admin = {"X-API-Key": make_key("admin")}
    package_writer(settings.models_dir, version="2", sha="0" * 64)
    response = client.post("/v1/models/reload", headers=admin)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "reload_failed" and "does not match" in error["details"]["reload"]["errors"]["double"]
    assert [m["version"] for m in error["details"]["models"]] == ["1"]
    assert client.get("/readyz").status_code == 200  # still serving v1


@pytest.mark.parametrize("role", ["scientist", "officer", "scanner"])
def test_only_admin_reloads(client, make_key, role):
    assert client.post("/v1/models/reload", headers={"X-API-Key": make_key(role)}).status_code == 403


def test_polling_picks_up_a_new_package(settings, package_writer):
    from fastapi.testclient import TestClient

    from smartinspect.storage.apikeys import create_api_key

    package_writer(settings.models_dir, version="1")
    settings.model_reload_poll_s = 0.1
    app = create_app(settings)
    with TestClient(app) as client:
        with app.state.session_factory() as session, session.begin():
            _, token = create_api_key(session, name="sci", role="scientist")
        package_writer(settings.models_dir, version="2", factor=3.0)
        deadline = time.monotonic() + 10
        versions = []
        while time.monotonic() < deadline and versions != ["2"]:
            time.sleep(0.1)
            versions = [m["version"] for m in client.get("/v1/models", headers={"X-API-Key": token}).json()["models"]]
        assert versions == ["2"]
