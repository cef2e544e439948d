"""Errors of the one upload pipeline (storage/uploads.py) shared by scans, documents and wood screenings."""

from __future__ import annotations

from typing import Any


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
