"""What the database cannot rewrite: the audit chain's HMAC key and its signed head checkpoint.

- **Key.** Event hashes are HMAC-SHA256 with a key the database never holds (``settings.audit_key``, else one
  generated once into ``<data_dir>/audit_key``, mode 0600). Whoever can rewrite the tables cannot recompute a
  valid chain without it.
- **Checkpoint.** After each commit that appended events, the chain's identity (the hash of its first event) and
  end (last id and hash) are written, signed with the same key, to ``<data_dir>/audit/head-<database>.json``
  (atomically, never backwards, never replaced by another chain). Deleting the newest events and rewinding the
  head row is then detected (the checkpoint says the chain went further), and so is wiping the log and starting
  a new chain (the checkpoint names another chain).

A session finds both in ``session.info`` (the API and the CLI put them there, see :func:`audit_info`). A session
without them (library use, tests) takes the key from the process settings and keeps no checkpoint.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from smartinspect.storage.secretfiles import read_or_create_secret

log = logging.getLogger(__name__)
KEY_FILE = "audit_key"
CHECKPOINT_DIR = "audit"
_INFO_KEY, _INFO_CHECKPOINT, _PENDING = "audit_key", "audit_checkpoint", "audit_pending_head"


@dataclass(frozen=True)
class Checkpoint:
    chain_id: str  # the hash of event 1
    last_id: int
    last_hash: str


class CheckpointInvalid(Exception):
    """The checkpoint file exists but is not signed by this key (or is not readable)."""


def audit_info(settings: Any, database_url: str | None = None) -> dict[str, Any]:
    """``session.info`` entries for sessions of a database (default: ``settings.database_url``): the key and
    the checkpoint file of that database."""
    url = database_url or settings.database_url
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return {_INFO_KEY: load_audit_key(settings),
            _INFO_CHECKPOINT: Path(settings.data_dir) / CHECKPOINT_DIR / f"head-{name}.json"}


def load_audit_key(settings: Any) -> bytes:
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    return _persisted_key(Path(settings.data_dir).resolve() / KEY_FILE)


@lru_cache(maxsize=8)
def _persisted_key(path: Path) -> bytes:
    return read_or_create_secret(path, what="the audit chain key (without it the chain cannot be verified)")


def session_key(session: Session) -> bytes:
    if _INFO_KEY not in session.info:
        from smartinspect.config import get_settings

        session.info[_INFO_KEY] = load_audit_key(get_settings())
    return session.info[_INFO_KEY]


def checkpoint_path(session: Session) -> Path | None:
    return session.info.get(_INFO_CHECKPOINT)


def _signature(key: bytes, c: Checkpoint) -> str:
    return hmac.new(key, f"audit-head:{c.chain_id}:{c.last_id}:{c.last_hash}".encode(), hashlib.sha256).hexdigest()


def read_checkpoint(path: Path, key: bytes) -> Checkpoint | None:
    """The signed checkpoint, None when there is none; :class:`CheckpointInvalid` when it is forged or broken."""
    try:
        raw = json.loads(path.read_text())
        checkpoint = Checkpoint(str(raw["chain_id"]), int(raw["last_id"]), str(raw["last_hash"]))
        signature = str(raw["signature"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointInvalid(f"the audit checkpoint {path} cannot be read ({exc})") from exc
    if not hmac.compare_digest(signature, _signature(key, checkpoint)):
        raise CheckpointInvalid(f"the audit checkpoint {path} is not signed with this audit key")
    return checkpoint


def write_checkpoint(path: Path, key: bytes, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` unless the file already records a later event, or another chain (kept for
    verification to report; under a file lock; atomic rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_checkpoint(path, key)
        except CheckpointInvalid:
            current = None  # verification reports it; a valid newer head replaces it
        if current is not None and (current.chain_id != checkpoint.chain_id or current.last_id >= checkpoint.last_id):
            if current.chain_id != checkpoint.chain_id:
                log.error("the audit chain in the database is not the one checkpointed in %s; not overwritten", path)
            return
        body = {"chain_id": checkpoint.chain_id, "last_id": checkpoint.last_id, "last_hash": checkpoint.last_hash,
                "signature": _signature(key, checkpoint)}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-head-")
        with os.fdopen(fd, "w") as fh:
            json.dump(body, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def remember_head(session: Session, chain_id: str, last_id: int, last_hash: str) -> None:
    """Called by the append: the checkpoint is written once this transaction commits (not if it rolls back)."""
    if checkpoint_path(session) is not None:
        session.info[_PENDING] = Checkpoint(chain_id, last_id, last_hash)


@event.listens_for(Session, "after_commit")
def _write_pending_checkpoint(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    path = checkpoint_path(session)
    if pending is not None and path is not None:
        try:
            write_checkpoint(path, session_key(session), pending)
        except OSError:
            log.exception("could not write the audit checkpoint; `smartinspect audit verify` will report it")


@event.listens_for(Session, "after_rollback")
def _drop_pending_checkpoint(session: Session) -> None:
    session.info.pop(_PENDING, None)
