"""Schemas every router shares: the JSON error body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable code, e.g. 'not_found', 'payload_too_large'.")
    message: str = Field(description="What went wrong, for people.")
    details: Any = Field(default=None, description="Structured context: the bad values, the valid choices.")


class ErrorPublic(BaseModel):
    """The body of every error response."""

    error: ErrorDetail
