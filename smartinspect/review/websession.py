"""Signed session cookies for the review web UI: an expert logs in with an API key once, then carries a cookie.

The cookie holds the key's id, a CSRF token and the issue time, signed with HMAC-SHA256. Nothing secret is in
it, and the key is looked up on every request, so revoking the key ends its sessions at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass

from smartinspect.config import Settings
from smartinspect.storage.secretfiles import read_or_create_secret, require_shared_secret

log = logging.getLogger(__name__)

COOKIE_NAME = "si_review"
SECRET_FILE = "session_secret"
_MIN_SECRET_BYTES = 32


@dataclass(frozen=True)
class WebSession:
    """What a valid cookie says: which API key logged in, its CSRF token, and when (epoch seconds)."""

    key_id: int
    csrf_token: str
    issued_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_session_secret(settings: Settings) -> bytes:
    """The signing secret: ``settings.session_secret``, else one generated once and kept in the data dir (not in
    a scale-out: replicas must share it, :class:`~smartinspect.storage.secretfiles.SecretNotConfigured`).

    Never a built-in default: a guessable secret would let anyone forge a session.
    """
    if settings.session_secret is not None:  # Settings refuses one shorter than 32 characters
        return settings.session_secret.get_secret_value().encode()
    require_shared_secret(settings, env="SMARTINSPECT_SESSION_SECRET", what="the review session secret")
    return read_or_create_secret(settings.data_dir / SECRET_FILE, what="the review session secret",
                                 min_bytes=_MIN_SECRET_BYTES)


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())


def issue_session(secret: bytes, *, key_id: int, now: float | None = None) -> tuple[str, WebSession]:
    """A new session for API key ``key_id``: the cookie value and what it holds (with a fresh CSRF token)."""
    session = WebSession(key_id=key_id, csrf_token=secrets.token_urlsafe(24), issued_at=int(now or time.time()))
    payload = {"k": session.key_id, "c": session.csrf_token, "t": session.issued_at}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_signature(secret, body)}", session


def read_session(secret: bytes, cookie: str | None, *, max_age_s: int, now: float | None = None) -> WebSession | None:
    """The session in ``cookie``, or None when it is missing, tampered with, malformed or older than ``max_age_s``."""
    if not cookie or cookie.count(".") != 1:
        return None
    body, signature = cookie.split(".")
    if not hmac.compare_digest(signature, _signature(secret, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
        session = WebSession(key_id=int(payload["k"]), csrf_token=str(payload["c"]), issued_at=int(payload["t"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    age = (now or time.time()) - session.issued_at
    return session if 0 <= age <= max_age_s else None


def csrf_matches(session: WebSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf_token, token or "")
