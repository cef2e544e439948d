"""What the database cannot rewrite: the audit chain's HMAC key and its signed head checkpoint.

- **Key.** Event hashes are HMAC-SHA256 with a key the database never holds (``settings.audit_key``, else one
  generated once into ``<data_dir>/audit_key``, mode 0600; a scale-out must set it, the same on every replica). Whoever can rewrite the tables cannot recompute a
  valid chain without it.
- **Checkpoint.** After each commit that appended events, the chain's identity (the hash of its first event) and
  end (last id and hash) are written, signed with the same key, to ``audit/head-<database>.json`` in the state
  store (storage/statestore.py: ``<data_dir>/`` by default, beside the blobs on S3 in a scale-out, so every
  replica advances the same one), by conditional writes: atomically, never backwards, never replaced by another
  chain, and no replica's update lost to another's. Deleting the newest events and rewinding the
  head row is then detected (the checkpoint says the chain went further), and so is wiping the log and starting
  a new chain (the checkpoint names another chain).

A session finds both in ``session.info`` (the API and the CLI put them there, see :func:`audit_info`). A session
without them (library use, tests) takes the key from the process settings and keeps no checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from smartinspect.storage.secretfiles import read_or_create_secret, require_shared_secret
from smartinspect.storage.statestore import StateStore, make_state_store, update_state

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
    """The checkpoint exists but is not signed by this key (or is not readable)."""


@dataclass(frozen=True)
class CheckpointRef:
    """Where a database's checkpoint lives: a name in a state store."""

    store: StateStore
    name: str

    def __str__(self) -> str:
        return self.store.where(self.name)


def audit_info(settings: Any, database_url: str | None = None) -> dict[str, Any]:
    """``session.info`` entries for sessions of a database (default: ``settings.database_url``): the key and
    where that database's checkpoint lives."""
    url = database_url or settings.database_url
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return {_INFO_KEY: load_audit_key(settings),
            _INFO_CHECKPOINT: CheckpointRef(make_state_store(settings), f"{CHECKPOINT_DIR}/head-{name}.json")}


def load_audit_key(settings: Any) -> bytes:
    if settings.audit_key is not None:
        return settings.audit_key.get_secret_value().encode()
    require_shared_secret(settings, env="SMARTINSPECT_AUDIT_KEY", what="the audit chain key")
    return _persisted_key(Path(settings.data_dir).resolve() / KEY_FILE)


@lru_cache(maxsize=8)
def _persisted_key(path: Path) -> bytes:
    return read_or_create_secret(path, what="the audit chain key (without it the chain cannot be verified)")


def session_key(session: Session) -> bytes:
    if _INFO_KEY not in session.info:
        from smartinspect.config import get_settings

        session.info[_INFO_KEY] = load_audit_key(get_settings())
    return session.info[_INFO_KEY]


def checkpoint_ref(session: Session) -> CheckpointRef | None:
    return session.info.get(_INFO_CHECKPOINT)


def _signature(key: bytes, c: Checkpoint) -> str:
    return hmac.new(key, f"audit-head:{c.chain_id}:{c.last_id}:{c.last_hash}".encode(), hashlib.sha256).hexdigest()


def _parse(ref: CheckpointRef, data: bytes, key: bytes) -> Checkpoint:
    try:
        raw = json.loads(data)
        checkpoint = Checkpoint(str(raw["chain_id"]), int(raw["last_id"]), str(raw["last_hash"]))
        signature = str(raw["signature"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointInvalid(f"the audit checkpoint {ref} cannot be read ({exc})") from exc
    if not hmac.compare_digest(signature, _signature(key, checkpoint)):
        raise CheckpointInvalid(f"the audit checkpoint {ref} is not signed with this audit key")
    return checkpoint


def read_checkpoint(ref: CheckpointRef, key: bytes) -> Checkpoint | None:
    """The signed checkpoint, None when there is none; :class:`CheckpointInvalid` when it is forged or broken
    (or the store cannot be read)."""
    try:
        found = ref.store.read(ref.name)
    except OSError as exc:
        raise CheckpointInvalid(f"the audit checkpoint {ref} cannot be read ({exc})") from exc
    return None if found is None else _parse(ref, found[0], key)


def write_checkpoint(ref: CheckpointRef, key: bytes, checkpoint: Checkpoint) -> None:
    """Write ``checkpoint`` unless the store already records a later event, or another chain (kept for
    verification to report). A conditional write: concurrent writers (replicas) each re-read on a conflict,
    so the checkpoint only moves forward."""

    def advance(current_bytes: bytes | None) -> bytes | None:
        current = None
        if current_bytes is not None:
            try:
                current = _parse(ref, current_bytes, key)
            except CheckpointInvalid:
                current = None  # verification reports it; a valid newer head replaces it
        if current is not None and (current.chain_id != checkpoint.chain_id or current.last_id >= checkpoint.last_id):
            if current.chain_id != checkpoint.chain_id:
                log.error("the audit chain in the database is not the one checkpointed in %s; not overwritten", ref)
            return None
        body = {"chain_id": checkpoint.chain_id, "last_id": checkpoint.last_id, "last_hash": checkpoint.last_hash,
                "signature": _signature(key, checkpoint)}
        return json.dumps(body).encode()

    update_state(ref.store, ref.name, advance)


def remember_head(session: Session, chain_id: str, last_id: int, last_hash: str) -> None:
    """Called by the append: the checkpoint is written once this transaction commits (not if it rolls back)."""
    if checkpoint_ref(session) is not None:
        session.info[_PENDING] = Checkpoint(chain_id, last_id, last_hash)


@event.listens_for(Session, "after_commit")
def _write_pending_checkpoint(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    ref = checkpoint_ref(session)
    if pending is not None and ref is not None:
        try:
            write_checkpoint(ref, session_key(session), pending)
        except (OSError, RuntimeError):  # unreachable store; StateConflict
            log.exception("could not write the audit checkpoint; `smartinspect audit verify` will report it")


@event.listens_for(Session, "after_rollback")
def _drop_pending_checkpoint(session: Session) -> None:
    session.info.pop(_PENDING, None)
