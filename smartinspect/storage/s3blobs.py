"""Blobs in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph RGW…): ``s3://bucket/prefix/ab/cd/<sha256>``.

Same guarantees as the local store (storage/blobs.py):

* **Atomic.** One object is written by one single-part PUT, which S3 makes visible whole or not at all. The sha256
  is known before the PUT starts (``put`` hashes the bytes; ``put_file`` spools the stream to a local temp file
  while hashing it), and the PUT carries ``Content-MD5``, so the server refuses a body damaged on the way.
* **Idempotent.** Bytes already stored are not uploaded again; the object is copied onto itself with fresh
  metadata instead, which moves its ``LastModified`` (the ``used_at`` that garbage collection reads), like the
  access time the local store sets. If the object vanished meanwhile (collected), it is uploaded again.
* **Errors.** A missing object raises :class:`BlobNotFound`; an unreachable or refusing server raises
  :class:`BlobStoreUnavailable` (the API answers 503). Credentials are never logged nor shown in ``repr``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from smartinspect.storage.blobs import (
    _CHUNK,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobStoreUnavailable,
    _check_digest,
    is_digest,
)
from smartinspect.storage.statestore import StateStore

if TYPE_CHECKING:
    from smartinspect.config import Settings

log = logging.getLogger(__name__)
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_SPOOL_IN_MEMORY = 8 << 20  # streamed puts up to this size are spooled in memory, larger ones to a temp file
MAX_SINGLE_PUT = 5 << 30  # S3's limit for one PUT (larger blobs would need a multipart upload)


def parse_blob_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")`` (the prefix may be empty)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"blob_url must look like s3://bucket/prefix, got {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


@functools.lru_cache(maxsize=1)
def _boto_session() -> Any:
    import boto3

    return boto3.session.Session()  # one per process: loading the S3 service model costs about half a second


def _md5_b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3BlobStore(BlobStore):
    """Content-addressed blobs in one bucket under one key prefix, through a boto3 S3 client."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", *, endpoint: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        from botocore.config import Config

        bucket, prefix = parse_blob_url(settings.blob_url)
        endpoint = settings.blob_s3_endpoint or None
        style = settings.blob_s3_addressing_style
        if style == "auto" and endpoint:
            style = "path"  # self-hosted servers (SeaweedFS, MinIO) rarely have a wildcard DNS name per bucket
        config = Config(
            s3={"addressing_style": style}, connect_timeout=settings.blob_s3_connect_timeout_s,
            read_timeout=settings.blob_s3_read_timeout_s,
            retries={"max_attempts": settings.blob_s3_max_attempts, "mode": "standard"},
            # Content-MD5 protects each PUT; the newer default CRC trailers are not understood by every S3 server
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        access = settings.blob_s3_access_key.get_secret_value() if settings.blob_s3_access_key else None
        secret = settings.blob_s3_secret_key.get_secret_value() if settings.blob_s3_secret_key else None
        client = _boto_session().client(  # None: boto3's own chain (AWS_* variables, instance role…)
            "s3", endpoint_url=endpoint, region_name=settings.blob_s3_region or None,
            aws_access_key_id=access, aws_secret_access_key=secret, config=config)
        return cls(client, bucket, prefix, endpoint=endpoint or "")

    def __repr__(self) -> str:
        where = f" at {self.endpoint}" if self.endpoint else ""
        return f"S3BlobStore('s3://{self.bucket}/{self.prefix}'{where})"

    def key(self, digest: str) -> str:
        _check_digest(digest)
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    def _call(self, operation: str, digest: str | None = None, **kwargs: Any) -> Any:
        """One S3 call; a missing object -> BlobNotFound, any other failure -> BlobStoreUnavailable."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if digest is not None and str(error.get("Code")) in _MISSING:
                raise BlobNotFound(f"no blob {digest} in {self!r}") from None
            raise BlobStoreUnavailable(f"{self!r}: {operation} failed: {error.get('Code')} "
                                       f"{error.get('Message', '')}".rstrip()) from exc
        except BotoCoreError as exc:
            raise BlobStoreUnavailable(f"{self!r}: {operation} failed: {exc}") from exc

    def check(self) -> None:
        """Fail fast (BlobStoreUnavailable) when the bucket cannot be reached with these credentials."""
        self._call("head_bucket")

    def exists(self, digest: str) -> bool:
        try:
            self.stat(digest)
        except BlobNotFound:
            return False
        return True

    def stat(self, digest: str) -> BlobInfo:
        head = self._call("head_object", digest, Key=self.key(digest))
        return BlobInfo(digest, int(head["ContentLength"]), head["LastModified"].timestamp())

    def _touch(self, digest: str) -> bool:
        """Copy the object onto itself with new metadata (moves its LastModified); False if it is not there."""
        key = self.key(digest)
        try:
            self._call("copy_object", digest, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                       MetadataDirective="REPLACE", ContentType="application/octet-stream",
                       Metadata={"sha256": digest, "used-at": f"{time.time():.3f}"})
        except BlobNotFound:
            return False
        return True

    def _upload(self, digest: str, body: bytes | BinaryIO, size: int, md5: bytes) -> None:
        if size > MAX_SINGLE_PUT:
            raise ValueError(f"blob of {size} bytes is over the {MAX_SINGLE_PUT} bytes of one S3 PUT")
        self._call("put_object", Key=self.key(digest), Body=body, ContentLength=size, ContentMD5=_md5_b64(md5),
                   ContentType="application/octet-stream", Metadata={"sha256": digest})

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self._touch(digest):
            self._upload(digest, data, len(data), hashlib.md5(data).digest())  # noqa: S324 - transfer check only
        return digest

    def put_file(self, source: Path | BinaryIO) -> str:
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as fh:
                return self.put_file(fh)
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0  # noqa: S324 - md5 is the transfer check only
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
            for chunk in iter(lambda: source.read(_CHUNK), b""):
                sha.update(chunk)
                md5.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            digest = sha.hexdigest()
            if not self._touch(digest):
                spool.seek(0)
                self._upload(digest, spool, size, md5.digest())  # type: ignore[arg-type]
        return digest

    def open(self, digest: str) -> BinaryIO:
        return self._call("get_object", digest, Key=self.key(digest))["Body"]

    def iter_blobs(self) -> Iterator[BlobInfo]:
        from botocore.exceptions import BotoCoreError, ClientError

        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    relative = item["Key"][len(self.prefix):]
                    fan_a, _, rest = relative.partition("/")
                    fan_b, _, name = rest.partition("/")
                    if is_digest(name) and fan_a == name[:2] and fan_b == name[2:4]:
                        yield BlobInfo(name, int(item["Size"]), item["LastModified"].timestamp())
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable(f"{self!r}: listing failed: {exc}") from exc

    def delete(self, digest: str) -> None:
        self._call("delete_object", Key=self.key(digest))

    def copy_to(self, digest: str, target: Path) -> None:
        with self.open(digest) as body, open(target, "wb") as out:
            shutil.copyfileobj(body, out, _CHUNK)


class S3StateStore(StateStore):
    """Named objects beside the blobs, ``<prefix>state/<name>`` (never listed as blobs: the key is no digest).
    Conditional writes are S3's own: ``If-None-Match: *`` to create, ``If-Match: <ETag>`` to replace (AWS S3,
    MinIO and SeaweedFS answer 412 when another writer got there first)."""

    def __init__(self, blobs: S3BlobStore) -> None:
        self.blobs = blobs
        self.prefix = f"{blobs.prefix}state/"

    def __repr__(self) -> str:
        return f"S3StateStore('s3://{self.blobs.bucket}/{self.prefix}')"

    def key(self, name: str) -> str:
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError(f"state name must be a relative path, got {name!r}")
        return f"{self.prefix}{name}"

    def where(self, name: str) -> str:
        return f"s3://{self.blobs.bucket}/{self.key(name)}"

    def read(self, name: str) -> tuple[bytes, str] | None:
        try:
            reply = self.blobs._call("get_object", name, Key=self.key(name))
        except BlobNotFound:
            return None
        with reply["Body"] as body:
            return body.read(), str(reply["ETag"])

    def write(self, name: str, data: bytes, *, expected: str | None) -> bool:
        condition = {"IfNoneMatch": "*"} if expected is None else {"IfMatch": expected}
        try:
            self.blobs._call("put_object", Key=self.key(name), Body=data, ContentLength=len(data),
                             ContentMD5=_md5_b64(hashlib.md5(data).digest()),  # noqa: S324 - transfer check
                             ContentType="application/json", **condition)
        except BlobStoreUnavailable as exc:
            if _status_of(exc) in _CONFLICT:
                return False
            raise
        return True


_CONFLICT = frozenset({"412", "PreconditionFailed", "409", "ConditionalRequestConflict"})


def _status_of(exc: BaseException) -> str:
    cause = exc.__cause__
    response = getattr(cause, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
