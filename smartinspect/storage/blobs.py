"""Content-addressed blob stores: immutable blobs named by the sha256 of their bytes.

:class:`BlobStore` is the interface; :class:`LocalBlobStore` keeps blobs in a local directory
(``root/ab/cd/abcd…``, the default) and ``storage/s3blobs.py`` in an S3-compatible bucket. Build the configured one
with :func:`make_blob_store` (the API lifespan, the CLI and the recovery commands all do).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from smartinspect.config import Settings

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
_INCOMING = ".incoming"  # temp files of streamed puts, whose digest is known only at the end


class InvalidDigest(ValueError):
    """A digest that is not 64 lowercase hex characters (this also stops path traversal)."""


class BlobNotFound(FileNotFoundError):
    """No blob with that digest in the store."""


class BlobStoreUnavailable(OSError):
    """The store could not be reached or refused the request (e.g. an S3 server down, wrong credentials)."""


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob: its digest, size, and when it was last written or re-used by a put (epoch s)."""

    digest: str
    size: int
    used_at: float


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        msg = f"blob digest must be 64 lowercase hex characters (sha256), got {digest!r}"
        raise InvalidDigest(msg)
    return digest


def _fsync_dir(directory: Path) -> None:
    # Makes the rename durable. Not possible on every platform (e.g. Windows); the data itself is fsynced.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _process_umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: done once, at import, before any thread writes
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_process_umask()


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one, and a crash after return
    keeps the new one: a temp file beside it, fsync, rename, fsync of the folder. The file gets the mode ``open``
    would give it (0644 under the usual umask), not the temp file's 0600: a manifest written by the CLI must stay
    readable by a service running as another user."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _touch(path: Path) -> None:
    """Mark an existing blob as just used (its access time; the modification time stays the write time), so
    garbage collection (storage/blobrefs.py) leaves it alone while the row that will name it commits."""
    try:
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
    except OSError:
        pass


def is_digest(name: str) -> bool:
    return bool(_DIGEST.fullmatch(name))


class BlobStore(ABC):
    """Immutable blobs by sha256. Every store guarantees: a put is atomic (the blob appears whole or not at all)
    and idempotent (the same bytes again change nothing but the blob's ``used_at``, which garbage collection
    reads: storage/blobrefs.py); a streamed put knows the digest before the blob becomes visible; a malformed
    digest raises :class:`InvalidDigest`, a missing blob :class:`BlobNotFound`."""

    @abstractmethod
    def exists(self, digest: str) -> bool: ...

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest. Storing the same bytes again is a no-op."""

    @abstractmethod
    def put_file(self, source: Path | BinaryIO) -> str:
        """Store a file (a path, or a binary file object read to its end) in 1 MiB chunks; return its digest."""

    @abstractmethod
    def open(self, digest: str) -> BinaryIO:
        """The blob as a binary file object (the caller closes it; use ``with``), for streaming it out."""

    @abstractmethod
    def stat(self, digest: str) -> BlobInfo:
        """Size and last use of one blob (:class:`BlobNotFound` if absent)."""

    @abstractmethod
    def iter_blobs(self) -> Iterator[BlobInfo]:
        """Every blob in the store (temp files and anything not named like a digest are skipped)."""

    @abstractmethod
    def delete(self, digest: str) -> None:
        """Remove a blob (no error if it is already gone). Only garbage collection calls this."""

    @abstractmethod
    def copy_to(self, digest: str, target: Path) -> None:
        """Write the blob to the local file ``target`` (a feedback example's image, for instance)."""

    def check(self) -> None:
        """Raise :class:`BlobStoreUnavailable` when the store cannot be used (called once at start-up)."""

    def get(self, digest: str) -> bytes:
        """The blob's bytes."""
        with self.open(digest) as fh:
            return fh.read()

    def verify(self, digest: str) -> bool:
        """Re-hash the stored bytes: True when they still match ``digest`` (False means corruption)."""
        hasher = hashlib.sha256()
        with self.open(digest) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                hasher.update(chunk)
        return hasher.hexdigest() == digest


class LocalBlobStore(BlobStore):
    """Blobs in a local directory. Writes are atomic (temp file, fsync, ``os.replace``) and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, digest: str) -> Path:
        """Where the blob lives (it may not exist): ``root/ab/cd/<digest>``."""
        _check_digest(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256 hex digest. Storing the same bytes again is a no-op."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.is_file():
            _touch(target)
            return digest
        write_file_atomically(target, data)
        return digest

    def put_file(self, source: Path | BinaryIO) -> str:
        """Store a file (a path, or a binary file object read to its end) in 1 MiB chunks; return its digest."""
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as fh:
                return self.put_file(fh)
        incoming = self.root / _INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        hasher = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=incoming, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in iter(lambda: source.read(_CHUNK), b""):
                    hasher.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            digest = hasher.hexdigest()
            target = self.path(digest)
            if target.is_file():
                Path(tmp_name).unlink()
                _touch(target)
                return digest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)  # same file system: the incoming dir is inside root
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def open(self, digest: str) -> BinaryIO:
        """The blob as a binary file object (the caller closes it; use ``with``), for streaming it out."""
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {digest} in {self.root}") from None

    def stat(self, digest: str) -> BlobInfo:
        try:
            st = self.path(digest).stat()
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {digest} in {self.root}") from None
        return BlobInfo(digest, st.st_size, max(st.st_mtime, st.st_atime))

    def iter_blobs(self) -> Iterator[BlobInfo]:
        for path in self.root.glob("??/??/*"):
            if is_digest(path.name) and path.parent.parent.name == path.name[:2] and path.parent.name == path.name[2:4]:
                try:
                    yield self.stat(path.name)
                except BlobNotFound:  # deleted meanwhile
                    continue

    def delete(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def copy_to(self, digest: str, target: Path) -> None:
        source = self.path(digest)
        if not source.is_file():
            raise BlobNotFound(f"no blob {digest} in {self.root}")
        try:
            os.link(source, target)  # blobs are immutable, so sharing the inode is safe and costs no space
        except OSError:
            shutil.copyfile(source, target)


def make_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: S3 when ``blob_url`` is ``s3://bucket/prefix``, else ``blob_dir``."""
    if settings.blob_url:
        from smartinspect.storage.s3blobs import S3BlobStore  # boto3 is imported only when S3 is configured

        return S3BlobStore.from_settings(settings)
    assert settings.blob_dir is not None  # filled by Settings' validator
    return LocalBlobStore(settings.blob_dir)
