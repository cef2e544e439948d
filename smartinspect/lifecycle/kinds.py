"""Model kinds the lifecycle knows (xray, wood): names, and a lazily imported adapter per kind.

An adapter module provides::

    evaluate_package(package: Path, eval_set: EvalSet) -> dict[str, float]   # gated + informative metrics
    ensure_eval_set(spec: EvalSetSpec) -> EvalSet                            # the frozen evaluation set
    train(config: Path, *, settings, feedback: Path | None, synthetic_share: float | None) -> Path
    log_examples(package: Path, *, run_id: str, settings, mlflow) -> int     # example overlays on the run
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class EvalSetSpec:
    """A frozen evaluation set: generated once from ``seed`` into ``path``; ``sha256`` pins its content."""

    path: Path
    seed: int
    n_scans: int = 0  # X-ray: scans in the set (wood sizes its set through ``generator``)
    sha256: str | None = None
    generator: dict[str, Any] = field(default_factory=dict)  # generator settings that differ from the defaults

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> EvalSetSpec:
        missing = [k for k in ("dir", "seed") if k not in raw]
        if missing:
            raise ValueError(f"eval_set lacks {missing}; it needs dir and seed (optional: n_scans, sha256, generator)")
        return cls(Path(raw["dir"]), int(raw["seed"]), int(raw.get("n_scans", 0)), raw.get("sha256") or None,
                   dict(raw.get("generator") or {}))


@dataclass(frozen=True)
class EvalSet:
    """An evaluation set ready on disk, with its content fingerprint."""

    path: Path
    split: str
    sha256: str
    n_examples: int
    seed: int


@dataclass(frozen=True)
class ModelKind:
    name: str  # what users type: `smartinspect promote xray`
    model_name: str  # package directory in models/ and registered model name in MLflow
    task: str  # the manifest's task
    adapter_module: str

    def adapter(self) -> ModuleType:
        try:
            return importlib.import_module(self.adapter_module)
        except ModuleNotFoundError as exc:
            if exc.name != self.adapter_module:
                raise
            msg = (f"the lifecycle adapter for {self.name!r} models is not implemented yet ({self.adapter_module}); "
                   "see docs/lifecycle.md, 'Not done'")
            raise NotImplementedError(msg) from exc


KINDS = {
    "xray": ModelKind("xray", "xray-detector", "xray-detection", "smartinspect.xray.kind"),
    "wood": ModelKind("wood", "wood-classifier", "wood-classification", "smartinspect.wood.kind"),
}


def get_kind(name: str) -> ModelKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown model kind {name!r}; valid kinds: {', '.join(KINDS)}") from None


def kind_for_task(task: str) -> ModelKind | None:
    return next((k for k in KINDS.values() if k.task == task), None)
