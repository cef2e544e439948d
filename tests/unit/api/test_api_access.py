"""Authentication and the role matrix: every route declares its roles, and every other role gets 403."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from smartinspect.api.app import create_app
from smartinspect.api.deps import PUBLIC, CurrentKey, public, route_access, secured
from smartinspect.config import Settings
from smartinspect.domain.roles import Role
from smartinspect.storage.apikeys import revoke_api_key

# Test-only routes: they exercise the mechanism; real routers are walked by the same matrix test.
probe = APIRouter(prefix="/test-access")


@probe.get("/officer", **secured(Role.officer, Role.expert))
def officer_only(key: CurrentKey) -> dict[str, str]:
    return {"role": key.role}


@probe.post("/items/{item_id}", **secured(Role.admin))
def admin_only(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


@probe.get("/open", **public())
def open_route() -> dict[str, bool]:
    return {"open": True}


@pytest.fixture
def app(settings: Settings, registry: object) -> FastAPI:
    app = create_app(settings, registry=registry)  # type: ignore[arg-type]
    app.include_router(probe)
    return app


def test_missing_key_is_401_with_www_authenticate(client: TestClient) -> None:
    response = client.get("/test-access/officer")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("token", ["si_00000000_" + "0" * 32, "not-a-key", "Basic abc"])
def test_invalid_key_is_401(client: TestClient, token: str) -> None:
    response = client.get("/test-access/officer", headers={"X-API-Key": token})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
def test_key_accepted_in_either_header(client: TestClient, make_key: Callable[..., str], header: str) -> None:
    token = make_key("officer")
    headers = {"Authorization": f"Bearer {token}"} if header == "authorization" else {"X-API-Key": token}
    response = client.get("/test-access/officer", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"role": "officer"}


def test_revoked_key_is_401(app: FastAPI, client: TestClient, make_key: Callable[..., str]) -> None:
    token = make_key("officer")
    with app.state.session_factory() as session, session.begin():
        revoke_api_key(session, key_id=1)
    response = client.get("/test-access/officer", headers={"X-API-Key": token})
    assert response.status_code == 401


def test_wrong_role_is_403_naming_the_allowed_roles(client: TestClient, make_key: Callable[..., str]) -> None:
    response = client.get("/test-access/officer", headers={"X-API-Key": make_key("scanner")})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert error["details"] == {"role": "scanner", "allowed": ["officer", "expert"]}


def test_admin_is_not_implicitly_allowed(client: TestClient, make_key: Callable[..., str]) -> None:
    response = client.get("/test-access/officer", headers={"X-API-Key": make_key("admin")})
    assert response.status_code == 403


def test_secured_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        secured()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_declares_its_roles(app: FastAPI) -> None:
    valid = {PUBLIC, *Role}
    routes = route_access(app)
    assert {"/healthz", "/readyz", "/test-access/officer"} <= {r.path for r in routes}  # the walk finds them
    assert not any(r.path in ("/docs", "/openapi.json") for r in routes)
    for route in routes:
        where = f"{sorted(route.methods)} {route.path}"
        assert route.roles, f"{where} declares no roles: use **secured(...) or **public()"
        assert set(route.roles) <= valid, f"{where}: unknown roles {set(route.roles) - valid}"
        assert route.roles == (PUBLIC,) or PUBLIC not in route.roles, f"{where}: 'public' cannot mix with roles"


def test_role_matrix(app: FastAPI, client: TestClient, make_key: Callable[..., str]) -> None:
    """For every route: unlisted roles get 403; listed ones get past the guard; public needs no key."""
    keys = {role: make_key(role) for role in Role}
    problems = []
    for route in route_access(app):
        url = _concrete(route.path)
        for method in sorted(route.methods):
            if route.roles == (PUBLIC,):
                status = client.request(method, url).status_code
                if status in (401, 403):
                    problems.append(f"{method} {route.path}: public but {status} without a key")
                continue
            for role in Role:
                status = client.request(method, url, headers={"X-API-Key": keys[role]}).status_code
                if role in route.roles and status in (401, 403):
                    problems.append(f"{method} {route.path}: {role} is listed but got {status}")
                if role not in route.roles and status != 403:
                    problems.append(f"{method} {route.path}: {role} is not listed but got {status}, not 403")
    assert problems == []
