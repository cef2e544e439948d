"""Dependencies as ``Annotated`` aliases, so route signatures read like data; and the per-route role guard.

Everything comes from ``request.app.state`` (filled by the lifespan), so tests build an app with their own
settings, or override a dependency, instead of patching modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.config import Settings
from smartinspect.domain.roles import Role
from smartinspect.runtime import ModelRegistry
from smartinspect.storage.apikeys import authenticate_api_key
from smartinspect.storage.blobs import BlobStore
from smartinspect.storage.models import ApiKey

PUBLIC = "public"
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer si_…`")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: si_…`")


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def read_session(request: Request) -> Session:
    """A session that takes no write lock (storage.db.make_read_session_factory); close it (``with``)."""
    factory = getattr(request.app.state, "read_session_factory", None) or request.app.state.session_factory
    return factory()


def get_session(request: Request) -> Iterator[Session]:
    """One session per request. Route code commits; anything not committed is rolled back; always closed.

    GET/HEAD requests get a read-only session (no write lock on SQLite); the others a write session, whose
    transaction starts (and takes the lock) only when the route first uses it.
    """
    session: Session = read_session(request) if request.method in SAFE_METHODS else request.app.state.session_factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def get_blob_store(request: Request) -> BlobStore:
    return request.app.state.blob_store


def get_registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


# The widest integer a database column, id or offset takes (64-bit signed): larger values are refused with 422
# instead of overflowing in the driver (OverflowError, a 500).
DB_INT_MIN, DB_INT_MAX = -(2**63), 2**63 - 1
PathInt = Annotated[int, Path(ge=DB_INT_MIN, le=DB_INT_MAX)]
PathIndex = Annotated[int, Path(ge=0, le=DB_INT_MAX)]
Offset = Annotated[int, Query(ge=0, le=DB_INT_MAX)]

SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]


def _unauthenticated(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": 'Bearer realm="smartinspect"'})


def authenticate(request: Request, token: str) -> ApiKey | None:
    """The active key for ``token``, looked up in a short read-only session of its own (blocking: call it from a
    thread). The request's own session stays untouched, so no transaction is open while the body is handled."""
    with read_session(request) as session:
        return authenticate_api_key(session, token=token)


def get_current_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> ApiKey:
    """The API key from ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``; 401 when missing or not valid."""
    token = bearer.credentials if bearer is not None else header_key
    if not token:
        raise _unauthenticated("not_authenticated", "send an API key: 'Authorization: Bearer <key>' or 'X-API-Key'")
    early = getattr(request.state, "authenticated_key", None)  # api/early.py checked it before the body came
    key = early[1] if early is not None and early[0] == token else authenticate(request, token)
    if key is None:
        raise _unauthenticated("invalid_api_key", "the API key is unknown, malformed or revoked")
    request.state.api_key = key  # for access logs
    return key


CurrentKey = Annotated[ApiKey, Depends(get_current_key)]


def require_roles(*roles: Role) -> Callable[[ApiKey], ApiKey]:
    """A dependency that lets only keys with one of ``roles`` through (403 otherwise)."""
    allowed = tuple(Role(r) for r in roles)
    if not allowed:
        raise ValueError("a secured route must allow at least one role; use public() for open routes")

    def guard(key: CurrentKey) -> ApiKey:
        if key.role not in allowed:
            message = f"role {key.role!r} may not use this route; allowed roles: {', '.join(allowed)}"
            raise ApiError(403, "forbidden", message, {"role": key.role, "allowed": list(allowed)})
        return key

    guard.allowed_roles = allowed  # type: ignore[attr-defined]
    return guard


_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "No API key, or not a valid one"},
    403: {"model": ErrorPublic, "description": "The key's role may not use this route"},
}


def secured(*roles: Role, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route decorator kwargs for a route open to ``roles`` only: ``@router.get("/x", **secured(Role.officer))``.

    Admin is not implied: list every role. Pass extra OpenAPI ``responses`` here rather than to the decorator.
    """
    guard = require_roles(*roles)
    return {
        "dependencies": [Depends(guard)],
        "openapi_extra": {"x-roles": [r.value for r in guard.allowed_roles]},  # type: ignore[attr-defined]
        "responses": {**_AUTH_RESPONSES, **(responses or {})},
    }


def public(*, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route decorator kwargs for a route anyone may call (health checks); still declared explicitly."""
    return {"openapi_extra": {"x-roles": [PUBLIC]}, "responses": dict(responses or {})}


@dataclass(frozen=True)
class RouteAccess:
    """Who may call one route: its full path, methods and declared ``x-roles`` (empty: none declared)."""

    path: str
    methods: frozenset[str]
    roles: tuple[str, ...]


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every API route of ``app`` (routers included, docs pages excluded) with the roles it declares."""
    try:  # FastAPI >= 0.16x keeps included routers nested; this walks them with their prefixes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies included routes into app.routes
        routes: list[Any] = [route for route in app.routes if isinstance(route, APIRoute)]
    else:
        routes = [ctx for ctx in iter_route_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)]
    return [
        RouteAccess(
            path=route.path,
            methods=frozenset(route.methods or ()),
            roles=tuple((route.openapi_extra or {}).get("x-roles", ())),
        )
        for route in routes
    ]
