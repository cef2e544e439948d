"""Server-side end of review UI sessions: logout records the session, and a recorded one is refused.

The cookie stays stateless (signed, short-lived); only ended sessions are stored, by the sha256 of their random
CSRF token. Repository functions: they flush, the caller commits.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from smartinspect.storage.models_review import ReviewSessionEnd
from smartinspect.storage.types import utcnow


def session_digest(csrf_token: str) -> str:
    return hashlib.sha256(csrf_token.encode()).hexdigest()


def session_ended(session: Session, *, csrf_token: str) -> bool:
    """True when the web session with this CSRF token was logged out."""
    digest = session_digest(csrf_token)
    return session.scalar(select(ReviewSessionEnd.session_sha256).where(
        ReviewSessionEnd.session_sha256 == digest)) is not None


def end_session(session: Session, *, csrf_token: str, api_key_id: int, max_age_s: int) -> None:
    """Record that the session ended (idempotent); forget ends older than the session lifetime (cookies that
    old are refused by their age anyway)."""
    digest = session_digest(csrf_token)
    session.execute(delete(ReviewSessionEnd).where(ReviewSessionEnd.ended_at < utcnow() - timedelta(
        seconds=max_age_s)))
    if session.get(ReviewSessionEnd, digest) is None:
        session.add(ReviewSessionEnd(session_sha256=digest, api_key_id=api_key_id))
    session.flush()
