"""Who is reviewing: an expert from the review session cookie (browser) or an API key header (scripts).

The review UI and its JSON API share one guard. A cookie session must send its CSRF token with every change
(``X-CSRF-Token`` header, or a ``csrf_token`` form field); a request with an API key header carries no ambient
credential, so it needs none. The API key behind a cookie is looked up on every request: revoking it (or a role
change) takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import read_session
from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.domain.roles import Role
from smartinspect.review.websession import COOKIE_NAME, WebSession, csrf_matches, load_session_secret
from smartinspect.review.websession import read_session as read_web_session
from smartinspect.storage.apikeys import authenticate_api_key
from smartinspect.storage.models import ApiKey
from smartinspect.storage.websessions import session_ended

REVIEW_ROLES = (Role.expert,)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Reviewer:
    """An authenticated caller: the API key, and the web session when it came by cookie (None: by header)."""

    key: ApiKey
    web: WebSession | None

    @property
    def csrf_token(self) -> str | None:
        return self.web.csrf_token if self.web else None


class NotLoggedIn(Exception):
    """No cookie session and no API key: the UI sends the browser to the login page."""


def session_secret(request: Request) -> bytes:
    """The cookie signing secret, loaded (or generated) once per app."""
    secret = getattr(request.app.state, "review_session_secret", None)
    if secret is None:
        secret = load_session_secret(request.app.state.settings)
        request.app.state.review_session_secret = secret
    return secret


def web_session_key(request: Request) -> tuple[ApiKey, WebSession] | None:
    """The active API key and session behind the request's review cookie, if it has a valid one.

    Blocking (a short read-only database session of its own): call it from a thread, never on the event loop.
    """
    settings = request.app.state.settings
    web = read_web_session(session_secret(request), request.cookies.get(COOKIE_NAME),
                           max_age_s=settings.session_max_age_s)
    if web is None:
        return None
    with read_session(request) as db:
        key = db.get(ApiKey, web.key_id)
        if key is None or not key.active or session_ended(db, csrf_token=web.csrf_token):
            return None
    return key, web


def _header_token(request: Request) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-API-Key`` (the same headers as the rest of the API)."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("X-API-Key") or None


def _lookup_reviewer(request: Request) -> tuple[ApiKey | None, WebSession | None]:
    """Blocking part of :func:`resolve_reviewer` (run in a thread): the key by cookie, else by header."""
    found = web_session_key(request)
    if found is not None:
        return found
    token = _header_token(request)
    if not token:
        raise NotLoggedIn()
    with read_session(request) as db:
        return authenticate_api_key(db, token=token), None


async def resolve_reviewer(request: Request) -> Reviewer:
    """The caller, by cookie or API key header. Raises NotLoggedIn, or ApiError 401/403 (role, CSRF).

    The database lookups run in the thread pool: this is async code (it may read the form for the CSRF token),
    and a blocking call here would stall every request of the process.
    """
    key, web = await run_in_threadpool(_lookup_reviewer, request)
    if web is not None:
        if request.method not in _SAFE_METHODS and not csrf_matches(web, await _csrf_token(request)):
            raise ApiError(403, "csrf_failed", "this change needs the session's CSRF token (X-CSRF-Token header)")
    elif key is None:
        raise ApiError(401, "invalid_api_key", "the API key is unknown, malformed or revoked",
                       headers={"WWW-Authenticate": 'Bearer realm="smartinspect"'})
    assert key is not None
    if key.role not in REVIEW_ROLES:
        allowed = [r.value for r in REVIEW_ROLES]
        message = f"role {key.role!r} may not use expert review; allowed roles: {', '.join(allowed)}"
        raise ApiError(403, "forbidden", message, {"role": key.role, "allowed": allowed})
    request.state.api_key = key  # for access logs
    return Reviewer(key=key, web=web)


async def current_reviewer(request: Request) -> Reviewer:
    """The JSON API's guard: as :func:`resolve_reviewer`, with no credentials at all a 401."""
    try:
        return await resolve_reviewer(request)
    except NotLoggedIn:
        raise ApiError(401, "not_authenticated", "log in at /review/login, or send an API key of the expert role",
                       headers={"WWW-Authenticate": 'Bearer realm="smartinspect"'}) from None


async def _csrf_token(request: Request) -> str | None:
    header = request.headers.get("X-CSRF-Token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()  # Starlette caches it, so the route can still read the form
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


CurrentReviewer = Annotated[Reviewer, Depends(current_reviewer)]

_REVIEW_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "No API key or session, or not a valid one"},
    403: {"model": ErrorPublic, "description": "Not the expert role, or a missing CSRF token"},
}


def reviewer_only(*, responses: dict[int | str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Route kwargs for review routes: the expert guard (cookie or key) and ``x-roles`` for the role matrix."""
    return {
        "dependencies": [Depends(current_reviewer)],
        "openapi_extra": {"x-roles": [r.value for r in REVIEW_ROLES]},
        "responses": {**_REVIEW_RESPONSES, **(responses or {})},
    }
