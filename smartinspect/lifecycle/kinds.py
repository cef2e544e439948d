"""The model-kind contract: what the shared lifecycle (promotion, training runs, feedback) knows of a kind.

A kind implements ``ModelKind`` in ``smartinspect/<kind>/kind.py``; the program's kinds are listed explicitly in
``smartinspect/kinds.py`` (a ``KindRegistry``) and handed to the lifecycle, never imported by it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from smartinspect.config import Settings


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


@runtime_checkable
class ModelKind(Protocol):
    """What the shared lifecycle knows of a model kind (xray, wood, ...). Each kind implements it in
    ``smartinspect/<kind>/kind.py``; ``smartinspect/kinds.py`` lists them. ``train`` is the only member that needs
    the ``train`` extra (torch): it imports the kind's ``train/`` package inside the call."""

    name: str  # what users type: `smartinspect promote xray`
    model_name: str  # package directory in models/ and registered model name in MLflow
    task: str  # the manifest's task
    classes: tuple[str, ...]  # what the model tells apart (class names, in output order)

    def ensure_eval_set(self, spec: EvalSetSpec) -> EvalSet:
        """The frozen evaluation set on disk, generated once from ``spec`` (refused if its pinned sha256 moved)."""
        ...

    def evaluate_package(self, package: Path, eval_set: EvalSet) -> dict[str, float]:
        """Gated and informative metrics of one package on the frozen set, through the served path."""
        ...

    def train(self, config: Path, *, settings: Settings, feedback: Path | None = None,
              synthetic_share: float | None = None) -> Path:
        """Train from a recipe (merging an expert-feedback snapshot when given); returns the package folder."""
        ...

    def log_examples(self, package: Path, *, params: dict[str, Any], client: Any, run_id: str, limit: int = 4) -> int:
        """Example predictions drawn on held-out inputs, logged under ``examples/`` of the run; returns the count."""
        ...


class KindRegistry:
    """The model kinds a program serves and trains, built from an explicit list (``smartinspect/kinds.py``)."""

    def __init__(self, kinds: Iterable[ModelKind]) -> None:
        self._kinds: dict[str, ModelKind] = {}
        for kind in kinds:
            if not isinstance(kind, ModelKind):
                raise TypeError(f"{kind!r} does not implement the ModelKind contract (smartinspect.lifecycle.kinds)")
            taken = {k.task for k in self._kinds.values()} | set(self._kinds)
            if kind.name in taken or kind.task in taken:
                raise ValueError(f"model kind {kind.name!r} (task {kind.task!r}) is registered twice")
            self._kinds[kind.name] = kind

    def __iter__(self) -> Iterator[ModelKind]:
        return iter(self._kinds.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def get(self, name: str) -> ModelKind:
        """By kind name (``xray``) or model name (``xray-detector``); the error lists the valid names."""
        found = self._kinds.get(name) or next((k for k in self if k.model_name == name), None)
        if found is None:
            valid = ", ".join(f"{k.name} ({k.model_name})" for k in self)
            raise ValueError(f"unknown model kind {name!r}; valid kinds: {valid}")
        return found

    def by_task(self, task: str) -> ModelKind | None:
        return next((k for k in self if k.task == task), None)
