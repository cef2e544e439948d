"""What ``/v1/models`` shows: the served models and the outcome of a reload."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class RegistryRefPublic(BaseModel):
    """Where a served model comes from in the MLflow model registry (present once promoted)."""

    name: str
    version: str
    alias: str | None = None
    run_id: str | None = None
    promoted_at: datetime | None = None


class ServedModelPublic(BaseModel):
    name: str
    task: str
    version: str = Field(description="The package version (training time), as in the manifest.")
    sha256: str = Field(description="sha256 of the ONNX file, checked at load.")
    file: str
    providers: list[str] = Field(description="ONNX Runtime execution providers, best first.")
    loaded_at: datetime
    warmup_ms: float
    metrics: dict[str, Any] = Field(description="The manifest's metrics (held-out test set, parity...).")
    registry: RegistryRefPublic | None = Field(description="MLflow registry version and alias, when known.")


class ReloadPublic(BaseModel):
    status: Literal["reloaded", "unchanged", "failed"]
    generation: int = Field(description="How many times the served set was swapped since start-up.")
    at: datetime
    changed: dict[str, dict[str, str | None]] = Field(description="name -> {'from': version, 'to': version}")
    errors: dict[str, str] = Field(description="Packages that did not load; their previous version still serves.")


class ModelsPublic(BaseModel):
    models: list[ServedModelPublic]
    ready: bool
    errors: dict[str, str] = Field(description="Packages in the models directory that serve nothing.")
    generation: int
    last_reload: ReloadPublic | None = None


class ReloadOutcomePublic(BaseModel):
    reload: ReloadPublic
    models: list[ServedModelPublic]
