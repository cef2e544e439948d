"""Content-addressed blob store on a local directory: ``root/ab/cd/abcd…`` named by the sha256 of the bytes."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

_DIGEST = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
_INCOMING = ".incoming"  # temp files of streamed puts, whose digest is known only at the end


class InvalidDigest(ValueError):
    """A digest that is not 64 lowercase hex characters (this also stops path traversal)."""


class BlobNotFound(FileNotFoundError):
    """No blob with that digest in the store."""


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


def _touch(path: Path) -> None:
    """Mark an existing blob as just used (its access time; the modification time stays the write time), so
    garbage collection (storage/blobrefs.py) leaves it alone while the row that will name it commits."""
    try:
        os.utime(path, ns=(time.time_ns(), path.stat().st_mtime_ns))
    except OSError:
        pass


class BlobStore:
    """Immutable blobs by sha256. Writes are atomic (temp file, fsync, ``os.replace``) and idempotent."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

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
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
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
