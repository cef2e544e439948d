"""Secrets the service generates once and keeps in its data dir (the audit chain key, the review session
secret) when settings do not provide them: never a built-in default, which anyone could read in the source."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


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
