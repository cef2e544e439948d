"""The blob store contract, on the local directory store and on S3 (a real SeaweedFS on loopback, tests/conftest.py);
then what is particular to each."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from smartinspect.storage.blobs import BlobNotFound, BlobStore, InvalidDigest, LocalBlobStore, make_blob_store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return make_blob_store(request.getfixturevalue("s3_settings"))


@pytest.fixture
def local(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob(".tmp-*")]


# ---------------------------------------------------------------- the contract, on both stores


def test_put_stores_content_addressed(store: BlobStore) -> None:
    data = b"\x00\x01 x-ray bytes"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.exists(digest)
    assert store.get(digest) == data
    with store.open(digest) as fh:
        assert fh.read() == data
    assert store.stat(digest).size == len(data)


def test_put_is_idempotent(store: BlobStore) -> None:
    digest = store.put(b"same")
    assert store.put(b"same") == digest
    assert [info.digest for info in store.iter_blobs()] == [digest]


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "fileobj"])
def test_put_file_streams_and_matches_put(store: BlobStore, tmp_path: Path, as_path: bool) -> None:
    data = os.urandom(2 * 1024 * 1024 + 17)  # more than one 1 MiB chunk
    source = tmp_path / "scan.tiff"
    source.write_bytes(data)
    digest = store.put_file(source if as_path else io.BytesIO(data))
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data and store.verify(digest)
    assert store.put_file(io.BytesIO(data)) == digest  # idempotent too
    assert store.put(data) == digest


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
def test_malformed_digests_are_refused(store: BlobStore, digest: str, tmp_path: Path) -> None:
    uses = (store.exists, store.get, store.verify, store.open, store.stat, store.delete,
            lambda d: store.copy_to(d, tmp_path / "out"))
    for use in uses:
        with pytest.raises(InvalidDigest, match="64 lowercase hex"):
            use(digest)


def test_missing_blob_raises_blob_not_found(store: BlobStore, tmp_path: Path) -> None:
    missing = "0" * 64
    assert not store.exists(missing)
    for use in (store.get, store.verify, store.stat, lambda d: store.copy_to(d, tmp_path / "out")):
        with pytest.raises(BlobNotFound, match=missing):
            use(missing)
    store.delete(missing)  # deleting what is gone is not an error


def test_listing_copying_and_deleting(store: BlobStore, tmp_path: Path) -> None:
    first, second = store.put(b"first"), store.put(b"second blob")
    listed = {info.digest: info.size for info in store.iter_blobs()}
    assert listed == {first: 5, second: 11}
    store.copy_to(second, tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == b"second blob"
    store.delete(first)
    assert not store.exists(first) and store.exists(second)
    assert [info.digest for info in store.iter_blobs()] == [second]


def test_a_put_of_stored_bytes_refreshes_its_last_use(store: BlobStore) -> None:
    """Garbage collection keeps blobs used lately: re-storing bytes must move ``used_at`` (the local store's access
    time, the S3 object's LastModified, which has one-second resolution)."""
    digest = store.put(b"re-used")
    if isinstance(store, LocalBlobStore):
        long_ago = time.time() - 7200
        os.utime(store.path(digest), (long_ago, long_ago))
    else:
        time.sleep(1.1)
    before = store.stat(digest).used_at
    store.put(b"re-used")
    assert store.stat(digest).used_at > before


# ---------------------------------------------------------------- the local directory store


def test_local_layout_fans_out_and_skips_junk(local: LocalBlobStore) -> None:
    digest = local.put(b"x-ray")
    assert local.path(digest) == local.root / digest[:2] / digest[2:4] / digest
    (local.root / "ab" / "cd").mkdir(parents=True)
    (local.root / "ab" / "cd" / ".tmp-123").write_bytes(b"half")
    (local.root / "ab" / "cd" / ("ef" * 32)).write_bytes(b"misplaced")  # not where its digest says
    assert [info.digest for info in local.iter_blobs()] == [digest]


def test_local_put_does_not_rewrite(local: LocalBlobStore) -> None:
    digest = local.put(b"same")
    first_mtime = local.path(digest).stat().st_mtime_ns
    assert local.put(b"same") == digest
    assert local.path(digest).stat().st_mtime_ns == first_mtime  # not rewritten
    assert _leftovers(local.root) == []


def test_failed_put_leaves_neither_blob_nor_temp_file(local: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)  # the crash between write and rename
    with pytest.raises(OSError, match="disk full"):
        local.put(b"never lands")
    digest = hashlib.sha256(b"never lands").hexdigest()
    assert not local.exists(digest)
    assert _leftovers(local.root) == []


def test_verify_detects_corruption(local: LocalBlobStore) -> None:
    digest = local.put(b"original")
    assert local.verify(digest)
    local.path(digest).write_bytes(b"tampered")
    assert not local.verify(digest)


def test_copy_to_shares_the_local_file(local: LocalBlobStore, tmp_path: Path) -> None:
    digest = local.put(b"image")
    local.copy_to(digest, tmp_path / "example.png")
    assert (tmp_path / "example.png").read_bytes() == b"image"
    assert (tmp_path / "example.png").stat().st_ino == local.path(digest).stat().st_ino  # a hard link, no copy
