from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from smartinspect.storage.blobs import BlobNotFound, BlobStore, InvalidDigest


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*")]


def test_put_stores_content_addressed_with_fan_out(store: BlobStore) -> None:
    data = b"\x00\x01 x-ray bytes"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.path(digest) == store.root / digest[:2] / digest[2:4] / digest
    assert store.exists(digest)
    assert store.get(digest) == data
    with store.open(digest) as fh:
        assert fh.read() == data


def test_put_is_idempotent(store: BlobStore) -> None:
    digest = store.put(b"same")
    first_mtime = store.path(digest).stat().st_mtime_ns
    assert store.put(b"same") == digest
    assert store.path(digest).stat().st_mtime_ns == first_mtime  # not rewritten
    assert _leftovers(store.root) == []


def test_failed_put_leaves_neither_blob_nor_temp_file(store: BlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)  # the crash between write and rename
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never lands")
    digest = hashlib.sha256(b"never lands").hexdigest()
    assert not store.exists(digest)
    assert _leftovers(store.root) == []


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "fileobj"])
def test_put_file_streams_and_matches_put(store: BlobStore, tmp_path: Path, as_path: bool) -> None:
    data = os.urandom(2 * 1024 * 1024 + 17)  # more than one 1 MiB chunk
    source = tmp_path / "scan.tiff"
    source.write_bytes(data)
    digest = store.put_file(source if as_path else io.BytesIO(data))
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert store.put_file(io.BytesIO(data)) == digest  # idempotent too
    assert _leftovers(store.root) == []


@pytest.mark.parametrize(
    "digest",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../" + "a" * 55,
        "A" * 64,  # upper case: one blob must have one name
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "",
        "a" * 64 + "\n",
    ],
)
def test_malformed_digests_are_refused(store: BlobStore, digest: str) -> None:
    for use in (store.path, store.exists, store.get, store.verify, store.open):
        with pytest.raises(InvalidDigest, match="64 lowercase hex"):
            use(digest)


def test_verify_detects_corruption(store: BlobStore) -> None:
    digest = store.put(b"original")
    assert store.verify(digest)
    path = store.path(digest)
    path.write_bytes(b"tampered")
    assert not store.verify(digest)


def test_missing_blob_raises_blob_not_found(store: BlobStore) -> None:
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(BlobNotFound, match=missing):
        store.get(missing)
    with pytest.raises(BlobNotFound):
        store.verify(missing)
