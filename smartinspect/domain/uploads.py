"""The upload errors every intake shares (scans, documents, wood photos): a bad upload, and an Idempotency-Key
reused for a different request (the one upload pipeline, storage/uploads.py). The API answers both as JSON."""

from __future__ import annotations

from typing import Any


class UploadRejected(ValueError):
    """An upload (image or metadata) that cannot be used. ``status`` is the HTTP status the API should answer
    (413 too large, 415 not a supported format, 422 unreadable or inconsistent); ``code`` is stable for clients."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class IdempotencyConflict(Exception):
    """The Idempotency-Key was already used by this API key for a different request (other bytes or fields).

    ``kind`` names the record (scan, document, screening); ``existing`` is the record the key belongs to. The API
    answers 409 ``idempotency_key_reused`` with ``details = {"<kind>_id": existing.id}``.
    """

    kind = "upload"

    def __init__(self, existing: Any, kind: str | None = None) -> None:
        self.existing = existing
        if kind is not None:
            self.kind = kind
        super().__init__(f"idempotency key {existing.idempotency_key!r} was already used for {self.kind} "
                         f"{existing.id} with a different upload or fields")
