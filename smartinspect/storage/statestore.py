"""Small named objects that must live outside the database and be the same for every API replica.

Today that is the audit chain's signed head checkpoint (clearance/audit_anchor.py). Where it lives follows the
blob store: with blobs on S3 (``SMARTINSPECT_BLOB_URL``, a scale-out) it is an object beside them,
``s3://bucket/prefix/state/<name>`` (storage/s3blobs.py ``S3StateStore``), so every replica writes and reads the
same one; otherwise a file ``<data_dir>/<name>`` (:class:`LocalStateStore`).

One operation beyond reading: a **conditional write**, so concurrent writers (threads, processes, replicas) never
lose each other's update: ``write(name, data, expected=version)`` replaces the object only if it is still the
version the writer read (``expected=None``: only if it does not exist yet), and returns False otherwise; the caller
reads again and decides again (:func:`update_state`).
"""

from __future__ import annotations

import fcntl
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from smartinspect.storage.blobs import write_file_atomically

if TYPE_CHECKING:
    from smartinspect.config import Settings


class StateConflict(RuntimeError):
    """Other writers kept changing the object: the conditional write did not go through in the tries allowed."""


class StateStore(ABC):
    """Named objects with versions and compare-and-set writes; names are relative paths such as ``audit/x.json``."""

    @abstractmethod
    def read(self, name: str) -> tuple[bytes, str] | None:
        """The object's bytes and version (an opaque token), or None when there is none. OSError: unreachable."""

    @abstractmethod
    def write(self, name: str, data: bytes, *, expected: str | None) -> bool:
        """Store ``data`` if the object is still at version ``expected`` (None: if it does not exist); False when
        another writer got there first. Atomic: readers see the old bytes or the new, never a part."""

    @abstractmethod
    def where(self, name: str) -> str:
        """Where ``name`` is, for messages (a path or an s3:// URL)."""


def update_state(store: StateStore, name: str, change: Callable[[bytes | None], bytes | None], *,
                 attempts: int = 8) -> bool:
    """Read ``name``, let ``change`` compute the new bytes from the current ones (None: leave it), write them
    conditionally; on a conflict, read and decide again. True when something was written."""
    for _ in range(attempts):
        current = store.read(name)
        data, version = current if current is not None else (None, None)
        new = change(data)
        if new is None:
            return False
        if store.write(name, new, expected=version):
            return True
    raise StateConflict(f"{store.where(name)} kept changing under {attempts} conditional writes")


class LocalStateStore(StateStore):
    """Files under ``root`` (the data dir); versions are the sha256 of the content; writes hold a file lock on
    ``<file>.lock`` and replace the file atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStateStore({str(self.root)!r})"

    def path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"state name {name!r} leaves {self.root}")
        return path

    def where(self, name: str) -> str:
        return str(self.path(name))

    def read(self, name: str) -> tuple[bytes, str] | None:
        try:
            data = self.path(name).read_bytes()
        except FileNotFoundError:
            return None
        return data, hashlib.sha256(data).hexdigest()

    def write(self, name: str, data: bytes, *, expected: str | None) -> bool:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(path.suffix + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.read(name)
            if (current[1] if current is not None else None) != expected:
                return False
            write_file_atomically(path, data)
        return True


def make_state_store(settings: Settings) -> StateStore:
    """Beside the blobs on S3 when ``blob_url`` is set (every replica sees it), else in ``data_dir``."""
    if settings.blob_url:
        from smartinspect.storage.s3blobs import S3BlobStore, S3StateStore

        return S3StateStore(S3BlobStore.from_settings(settings))
    return LocalStateStore(settings.data_dir)
