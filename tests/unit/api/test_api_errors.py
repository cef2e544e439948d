"""Every error is JSON ``{"error": {"code", "message", "details"}}``, whatever raised it."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, File, Query, UploadFile
from fastapi.testclient import TestClient

from smartinspect.api.app import create_app
from smartinspect.api.deps import SettingsDep, public
from smartinspect.api.errors import ApiError
from smartinspect.api.uploads import read_limited
from smartinspect.config import Settings

router = APIRouter(prefix="/test-errors")


@router.get("/boom", **public())
def boom() -> None:
    raise RuntimeError("secret internals: /etc/smartinspect/key")


@router.get("/teapot", **public())
def teapot() -> None:
    raise ApiError(418, "teapot", "I am a teapot", {"brew": "earl grey"})


@router.get("/count", **public())
def count(n: Annotated[int, Query(ge=1, le=10)]) -> dict[str, int]:
    return {"n": n}


@router.post("/upload", **public())
async def upload(file: Annotated[UploadFile, File()], settings: SettingsDep) -> dict[str, int]:
    data = await read_limited(file, settings.max_upload_bytes)
    return {"bytes": len(data)}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": 1000})


@pytest.fixture
def app(settings: Settings, registry: object) -> FastAPI:
    app = create_app(settings, registry=registry)  # type: ignore[arg-type]
    app.include_router(router)
    return app


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_unknown_path_is_json_404(client: TestClient) -> None:
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_wrong_method_is_json_405_with_allow(client: TestClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(("query", "problem"), [("", "missing"), ("?n=99", "less_than_equal"), ("?n=x", "int_parsing")])
def test_invalid_request_is_json_422_listing_problems(client: TestClient, query: str, problem: str) -> None:
    response = client.get(f"/test-errors/count{query}")
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error"
    assert "query.n" in error["message"]
    assert [(d["loc"], d["type"]) for d in error["details"]] == [(["query", "n"], problem)]
    assert all("input" not in d for d in error["details"])  # submitted values are not echoed


def test_unhandled_exception_is_json_500_without_internals(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-errors/boom")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_api_error_keeps_its_status_code_and_details(client: TestClient) -> None:
    response = client.get("/test-errors/teapot")
    assert response.status_code == 418
    assert _error(response) == {"code": "teapot", "message": "I am a teapot", "details": {"brew": "earl grey"}}


def test_read_limited_accepts_up_to_the_limit(client: TestClient) -> None:
    response = client.post("/test-errors/upload", files={"file": ("a.png", b"x" * 1000, "image/png")})
    assert response.status_code == 200
    assert response.json() == {"bytes": 1000}


def test_read_limited_refuses_more_with_413(client: TestClient) -> None:
    response = client.post("/test-errors/upload", files={"file": ("big.tiff", b"x" * 1001, "image/tiff")})
    assert response.status_code == 413
    error = _error(response)
    assert error["code"] == "payload_too_large"
    assert error["details"] == {"filename": "big.tiff", "max_bytes": 1000}
