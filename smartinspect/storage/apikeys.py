"""API keys with one role each. Only the key's prefix and the sha256 of the whole key are stored.

A key reads ``si_<prefix8>_<secret32>`` (hex). The prefix finds the row; the hash proves the secret. The keys
are random with 128 bits of secret, so a fast hash is right here (no password stretching is needed).
Repository functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.domain.roles import Role, parse_role
from smartinspect.storage.models import ApiKey
from smartinspect.storage.types import utcnow

__all__ = [
    "ApiKeyNotFound",
    "Role",
    "authenticate_api_key",
    "create_api_key",
    "hash_api_key",
    "list_api_keys",
    "parse_role",
    "revoke_api_key",
]

KEY_PREFIX = "si"
_KEY_PATTERN = re.compile(r"si_([0-9a-f]{8})_([0-9a-f]{32})")
_PREFIX_ATTEMPTS = 5


class ApiKeyNotFound(LookupError):
    """No API key with that id."""


def hash_api_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _prefix_taken(session: Session, prefix: str) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None


def create_api_key(session: Session, *, name: str, role: Role | str) -> tuple[ApiKey, str]:
    """Create a key; return the row and the full key, which is shown once and cannot be recovered."""
    role = parse_role(role)
    if not name.strip():
        raise ValueError("an API key needs a non-empty name (who or what uses it)")
    for _ in range(_PREFIX_ATTEMPTS):
        prefix = secrets.token_hex(4)
        if not _prefix_taken(session, prefix):
            break
    else:  # 32-bit prefixes: reaching this means a broken random source, not bad luck
        raise RuntimeError(f"could not find a free API key prefix in {_PREFIX_ATTEMPTS} attempts")
    token = f"{KEY_PREFIX}_{prefix}_{secrets.token_hex(16)}"
    key = ApiKey(name=name.strip(), role=role.value, prefix=prefix, secret_hash=hash_api_key(token))
    session.add(key)
    session.flush()
    return key, token


def authenticate_api_key(session: Session, *, token: str) -> ApiKey | None:
    """The active key that ``token`` is, or None (malformed, unknown, wrong secret or revoked)."""
    match = _KEY_PATTERN.fullmatch(token.strip())
    if match is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_api_key(match.group(0))):
        return None
    return key if key.revoked_at is None else None


def list_api_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    """All keys, oldest first."""
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def revoke_api_key(session: Session, *, key_id: int) -> ApiKey:
    """Revoke a key from now on. Revoking it again keeps the first revocation time."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyNotFound(f"no API key with id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key
