"""Early refusal, before a request body is read: the API key of an upload route is checked from the headers
(401/403 without reading a byte of the body, so nothing is spooled to disk), a declared ``Content-Length`` over
the route's limit is refused at once (413), and a streamed body is counted as it arrives and cut off with 413 as
soon as it passes the limit. Pure ASGI: it runs before FastAPI parses the multipart form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.concurrency import run_in_threadpool

from smartinspect.api.errors import error_response
from smartinspect.config import Settings

Scope = dict[str, Any]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_OVERHEAD = 1 << 20  # multipart boundaries and the small form fields beside the files
# Refusals close the connection: the server stops taking the unread body instead of draining it.
_CLOSE = {"Connection": "close"}
AUTHENTICATED_STATE = "authenticated_key"  # scope["state"] entry: (token, key), reused by deps.get_current_key


class _BodyTooLarge(Exception):
    pass


def upload_limits(settings: Settings) -> dict[str, int]:
    """Largest body per upload route: its files at their own limits, plus the form around them."""
    return {
        "/v1/scans": 2 * settings.max_upload_bytes + _FORM_OVERHEAD,  # high and low energy images
        "/v1/documents": settings.document_max_bytes + _FORM_OVERHEAD,
        "/v1/wood/screenings": settings.wood_max_images * settings.max_upload_bytes + _FORM_OVERHEAD,
    }


def header_token(headers: dict[str, str]) -> str | None:
    """The key from ``Authorization: Bearer <key>`` or ``X-API-Key`` (as deps.get_current_key reads it)."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key") or None


class EarlyRefusalMiddleware:
    def __init__(self, app: Any, *, settings: Settings, authenticate: Callable[[Any, str], Any],
                 roles: Callable[[Any, str], tuple[str, ...]]) -> None:
        """``authenticate(app, token)``: the active key or None (blocking; run in the thread pool).
        ``roles(app, path)``: the roles an upload route allows."""
        self.app = app
        self.uploads = upload_limits(settings)
        self.default_limit = settings.max_request_body_bytes
        self.authenticate = authenticate
        self.roles = roles

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/")
        upload = scope["method"] == "POST" and path in self.uploads
        limit = self.uploads[path] if upload else self.default_limit
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = await self._key_refusal(scope, headers, path) if upload else None
        if refusal is None:
            refusal = self._declared_size_refusal(headers, limit)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._run_limited(scope, receive, send, limit)

    def _declared_size_refusal(self, headers: dict[str, str], limit: int) -> Any:
        declared = headers.get("content-length")
        if declared is None:
            return None
        if not declared.isdigit():
            return error_response(400, "bad_request", "Content-Length is not a number", headers=_CLOSE)
        return _too_large(limit) if int(declared) > limit else None

    async def _key_refusal(self, scope: Scope, headers: dict[str, str], path: str) -> Any:
        www = {"WWW-Authenticate": 'Bearer realm="smartinspect"', **_CLOSE}
        token = header_token(headers)
        if not token:
            return error_response(401, "not_authenticated",
                                  "send an API key: 'Authorization: Bearer <key>' or 'X-API-Key'", headers=www)
        key = await run_in_threadpool(self.authenticate, scope["app"], token)
        if key is None:
            return error_response(401, "invalid_api_key", "the API key is unknown, malformed or revoked", headers=www)
        allowed = self.roles(scope["app"], path)
        if allowed and key.role not in allowed:
            message = f"role {key.role!r} may not use this route; allowed roles: {', '.join(allowed)}"
            return error_response(403, "forbidden", message, {"role": key.role, "allowed": list(allowed)},
                                  headers=_CLOSE)
        scope.setdefault("state", {})[AUTHENTICATED_STATE] = (token, key)
        return None

    async def _run_limited(self, scope: Scope, receive: Any, send: Any, limit: int) -> None:
        seen = {"bytes": 0, "over": False, "started": False}

        async def counted_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > limit:
                    seen["over"] = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if seen["over"]:
                return  # whatever the app answers to the cut-off body, the client gets the 413
            seen["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _BodyTooLarge:
            pass
        if seen["over"] and not seen["started"]:
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> Any:
    return error_response(413, "payload_too_large", f"the request body is larger than {limit} bytes",
                          {"max_bytes": limit}, headers=_CLOSE)
