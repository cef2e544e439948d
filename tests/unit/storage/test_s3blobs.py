"""What is particular to the S3 blob store: its URL and settings, integrity of each PUT, corruption, the layout in the
bucket, and clear errors (never with the secret) when the server is down or refuses the credentials."""

from __future__ import annotations

import hashlib
import logging
import socket

import pytest
from pydantic import SecretStr, ValidationError

from smartinspect.config import Settings
from smartinspect.storage.blobs import BlobStoreUnavailable, LocalBlobStore, make_blob_store

pytest.importorskip("boto3", reason="boto3 (the `serve` extra) is needed for the S3 blob store")
from smartinspect.storage.s3blobs import S3BlobStore, parse_blob_url  # noqa: E402


@pytest.mark.parametrize(("url", "expected"), [
    ("s3://bucket", ("bucket", "")),
    ("s3://bucket/", ("bucket", "")),
    ("s3://bucket/port/blobs/", ("bucket", "port/blobs/")),
])
def test_blob_url_names_a_bucket_and_prefix(url: str, expected: tuple[str, str]) -> None:
    assert parse_blob_url(url) == expected


@pytest.mark.parametrize("url", ["s3:/bucket", "http://bucket/x", "s3://", "/var/blobs", "s3://b/x?y=1"])
def test_a_malformed_blob_url_is_refused(url: str) -> None:
    with pytest.raises((ValueError, ValidationError)):
        Settings(_env_file=None, blob_url=url)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        parse_blob_url(url)


def test_the_factory_picks_the_configured_store(settings: Settings) -> None:
    assert isinstance(make_blob_store(settings), LocalBlobStore)
    s3 = make_blob_store(settings.model_copy(update={"blob_url": "s3://port-blobs/prod",
                                                     "blob_s3_endpoint": "http://127.0.0.1:9",
                                                     "blob_s3_access_key": SecretStr("key-id"),
                                                     "blob_s3_secret_key": SecretStr("do-not-show")}))
    assert isinstance(s3, S3BlobStore) and (s3.bucket, s3.prefix) == ("port-blobs", "prod/")
    assert "do-not-show" not in repr(s3)
    with pytest.raises(ValidationError, match="both"):
        Settings(_env_file=None, blob_url="s3://b", blob_s3_secret_key="only-half")  # type: ignore[call-arg]


@pytest.fixture
def s3(s3_settings: Settings) -> S3BlobStore:
    store = make_blob_store(s3_settings)
    assert isinstance(store, S3BlobStore)
    store.check()
    return store


def test_objects_are_laid_out_like_the_local_store(s3: S3BlobStore) -> None:
    digest = s3.put(b"layout")
    head = s3.client.head_object(Bucket=s3.bucket, Key=f"{s3.prefix}{digest[:2]}/{digest[2:4]}/{digest}")
    assert head["ContentLength"] == 6 and head["Metadata"]["sha256"] == digest
    s3.client.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}notes.txt", Body=b"junk")  # not a blob: not listed
    s3.client.put_object(Bucket=s3.bucket, Key=f"{s3.prefix}ab/cd/{'ef' * 32}", Body=b"misplaced")
    assert [info.digest for info in s3.iter_blobs()] == [digest]


def test_a_damaged_upload_is_refused_and_leaves_nothing(s3: S3BlobStore) -> None:
    """The PUT carries Content-MD5 of the bytes that were hashed: a body changed on the way never becomes a blob."""
    original = b"the bytes that were hashed"
    digest = hashlib.sha256(original).hexdigest()
    with pytest.raises(BlobStoreUnavailable, match="BadDigest|put_object"):
        s3._upload(digest, b"the bytes that arrived", len(b"the bytes that arrived"), hashlib.md5(original).digest())
    assert not s3.exists(digest)


def test_verify_detects_a_corrupted_object(s3: S3BlobStore) -> None:
    digest = s3.put(b"original")
    assert s3.verify(digest)
    s3.client.put_object(Bucket=s3.bucket, Key=s3.key(digest), Body=b"tampered")
    assert not s3.verify(digest)


def test_wrong_credentials_fail_the_check_without_showing_the_secret(s3_settings: Settings,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    bad = make_blob_store(s3_settings.model_copy(update={"blob_s3_secret_key": SecretStr("wrong-secret-1234")}))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BlobStoreUnavailable) as raised:
        bad.check()
    with pytest.raises(BlobStoreUnavailable):
        bad.put(b"never stored")
    assert "wrong-secret-1234" not in str(raised.value) and "wrong-secret-1234" not in caplog.text


def test_an_unreachable_server_fails_fast_and_clearly(settings: Settings) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = make_blob_store(settings.model_copy(update={
        "blob_url": "s3://nowhere/x", "blob_s3_endpoint": f"http://127.0.0.1:{port}", "blob_s3_region": "us-east-1",
        "blob_s3_access_key": SecretStr("k"), "blob_s3_secret_key": SecretStr("s"), "blob_s3_max_attempts": 1,
        "blob_s3_connect_timeout_s": 1.0}))
    with pytest.raises(BlobStoreUnavailable, match="nowhere"):
        store.exists("0" * 64)
    with pytest.raises(BlobStoreUnavailable):
        list(store.iter_blobs())
