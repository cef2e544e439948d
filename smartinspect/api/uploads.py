"""Reading uploads with a byte limit, so an oversized file is refused with 413 instead of filling memory."""

from __future__ import annotations

from fastapi import UploadFile

from smartinspect.api.errors import ApiError
from smartinspect.domain.customs import InvalidCode, verify_declaration_number
from smartinspect.domain.uploads import IdempotencyConflict

_CHUNK = 1 << 20


def declaration_number(raw: str | None) -> str | None:
    """An upload's declaration number: 18 digits (spaces and dashes dropped), or ApiError 422
    ``invalid_declaration_number``; empty means none."""
    if raw is None or not raw.strip():
        return None
    try:
        return verify_declaration_number(raw.strip())
    except InvalidCode as exc:
        raise ApiError(422, "invalid_declaration_number", str(exc), {"declaration_no": raw[:64]}) from exc


def conflict_error(exc: IdempotencyConflict) -> ApiError:
    """The one 409 of every upload route: the key was used for another request; details name the record."""
    return ApiError(409, "idempotency_key_reused", str(exc), {f"{exc.kind}_id": exc.existing.id})


def _too_large(upload: UploadFile, max_bytes: int) -> ApiError:
    message = f"upload {upload.filename or upload.content_type or ''!r} is larger than {max_bytes} bytes"
    return ApiError(413, "payload_too_large", message, {"filename": upload.filename, "max_bytes": max_bytes})


async def read_limited(upload: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, or ApiError 413 ``payload_too_large`` as soon as more than ``max_bytes`` arrive."""
    if upload.size is not None and upload.size > max_bytes:
        raise _too_large(upload, max_bytes)
    chunks: list[bytes] = []
    total = 0
    while chunk := await upload.read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(upload, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
