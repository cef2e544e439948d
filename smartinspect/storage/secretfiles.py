"""Secrets the service generates once and keeps in its data dir (the audit chain key, the review session
secret) when settings do not provide them: never a built-in default, which anyone could read in the source.

Not in a scale-out: with blobs on S3 (``SMARTINSPECT_BLOB_URL``) the API replicas share their state, and a secret
generated into one replica's data dir would differ from the next one's (a cookie signed by one replica refused by
the other, audit events keyed differently). There the secrets must come from settings, the same on every replica
(a Kubernetes Secret, the compose ``.env``); :func:`require_shared_secret` refuses to generate one."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class SecretNotConfigured(ValueError):
    """A scale-out (blobs on S3) without a secret that every replica must share."""


def require_shared_secret(settings: Any, *, env: str, what: str) -> None:
    """Raise :class:`SecretNotConfigured` when the replicas share state (``blob_url`` set): generating ``what``
    per data dir would give each replica its own. Called only when the settings do not provide it."""
    if settings.blob_url:
        raise SecretNotConfigured(
            f"set {env} (at least 32 characters, the same on every replica): with blobs on S3 "
            f"(SMARTINSPECT_BLOB_URL) the API runs as stateless replicas, and {what} generated into one replica's "
            "data dir would differ from the others' (docs/storage.md, 'Stateless replicas')")


def read_or_create_secret(path: Path, *, what: str, min_bytes: int = 1) -> bytes:
    """The secret in ``path``; when absent, 32 random bytes as hex written there (mode 0600, fsynced).

    Concurrent first starts agree on the first file written (O_EXCL). A file holding fewer than ``min_bytes``
    is refused (ValueError) rather than used or replaced."""
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        pass
    else:
        if len(secret) < min_bytes:
            raise ValueError(f"{path} holds {len(secret)} bytes; {what} needs {min_bytes}")
        return secret
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: use theirs
        return read_or_create_secret(path, what=what, min_bytes=min_bytes)
    with os.fdopen(fd, "wb") as fh:
        fh.write(candidate)
        fh.flush()
        os.fsync(fh.fileno())
    log.info("generated %s in %s (back it up with the data dir)", what, path)
    return candidate
