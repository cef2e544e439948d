"""The one "bad upload" error every intake raises (scans, documents, wood photos); the API answers it as JSON."""

from __future__ import annotations


class UploadRejected(ValueError):
    """An upload (image or metadata) that cannot be used. ``status`` is the HTTP status the API should answer
    (413 too large, 415 not a supported format, 422 unreadable or inconsistent); ``code`` is stable for clients."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
