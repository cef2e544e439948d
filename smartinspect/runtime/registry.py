"""Registry of served models: ``models/<name>/manifest.json`` + the ONNX file it names (sha256-checked)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartinspect.runtime.session import OnnxModel

if TYPE_CHECKING:
    from smartinspect.config import Settings
    from smartinspect.runtime.engine import InferenceEngine, RunnableModel

log = logging.getLogger(__name__)
MANIFEST_NAME = "manifest.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class TensorSpec:
    """An input or output: name, shape (ints, or strings for dynamic axes) and dtype."""

    name: str
    shape: tuple[int | str, ...]
    dtype: str = "float32"

    def concrete_shape(self, dynamic: int = 1) -> tuple[int, ...]:
        return tuple(d if isinstance(d, int) else dynamic for d in self.shape)


@dataclass(frozen=True)
class ModelSpec:
    """What a manifest says about a model. ``params`` carries task settings (tile size, thresholds, classes)."""

    name: str
    task: str
    version: str
    file: Path
    sha256: str
    inputs: tuple[TensorSpec, ...]
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    mlflow: dict[str, Any] = field(default_factory=dict)
    registry: dict[str, Any] = field(default_factory=dict)  # MLflow registry name/version/alias, when promoted

    @classmethod
    def from_manifest(cls, manifest_path: Path) -> ModelSpec:
        raw = json.loads(manifest_path.read_text())
        missing = [k for k in ("name", "task", "version", "file", "sha256", "inputs") if k not in raw]
        if missing:
            raise ValueError(f"{manifest_path}: manifest lacks {missing}")
        inputs = tuple(TensorSpec(i["name"], tuple(i["shape"]), i.get("dtype", "float32")) for i in raw["inputs"])
        return cls(
            name=raw["name"],
            task=raw["task"],
            version=str(raw["version"]),
            file=manifest_path.parent / raw["file"],
            sha256=raw["sha256"],
            inputs=inputs,
            params=raw.get("params", {}),
            metrics=raw.get("metrics", {}),
            mlflow=raw.get("mlflow", {}),
            registry=raw.get("registry", {}),
        )

    def same_artifact(self, other: ModelSpec) -> bool:
        """Same file with the same content and parameters: an already loaded session can be kept."""
        return self == other


@dataclass(frozen=True)
class LoadedModel:
    spec: ModelSpec
    model: RunnableModel  # an OnnxModel in process, or a handle to a Ray Serve deployment (runtime/engine.py)
    loaded_at: datetime
    warmup_ms: float

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "task": self.spec.task,
            "version": self.spec.version,
            "sha256": self.spec.sha256,
            "file": self.spec.file.name,
            "providers": self.model.providers,
            "loaded_at": self.loaded_at.isoformat(),
            "warmup_ms": round(self.warmup_ms, 2),
            "metrics": self.spec.metrics,
            "registry": self.spec.registry or None,
        }


def load_package(package: Path, *, intra_op_threads: int = 0) -> LoadedModel:
    """A package folder's model on CPU without warm-up: for evaluation, calibration and probes, not serving."""
    spec = ModelSpec.from_manifest(package / MANIFEST_NAME)
    return load_model(spec, providers=["CPUExecutionProvider"], intra_op_threads=intra_op_threads, warm_up=False)


def load_model(spec: ModelSpec, *, providers: list[str] | None, intra_op_threads: int, warm_up: bool) -> LoadedModel:
    """Verify the file's sha256 against the manifest, open a session and warm it up."""
    if not spec.file.is_file():
        raise FileNotFoundError(f"model {spec.name}: file {spec.file} named by its manifest does not exist")
    actual = file_sha256(spec.file)
    if actual != spec.sha256:
        raise ValueError(f"model {spec.name}: sha256 {actual} does not match the manifest's {spec.sha256}")
    model = OnnxModel(spec.file, providers=providers, intra_op_threads=intra_op_threads)
    warmup_s = model.warm_up([i.concrete_shape() for i in spec.inputs]) if warm_up else 0.0
    log.info("loaded %s v%s on %s (warm-up %.1f ms)", spec.name, spec.version, model.providers, warmup_s * 1e3)
    return LoadedModel(spec=spec, model=model, loaded_at=datetime.now(UTC), warmup_ms=warmup_s * 1e3)


def package_manifests(models_dir: Path) -> list[Path]:
    """``<models_dir>/<name>/manifest.json`` files; hidden folders (a package being written or swapped) are not
    packages."""
    return [m for m in sorted(Path(models_dir).glob(f"*/{MANIFEST_NAME}")) if not m.parent.name.startswith(".")]


class ModelRegistry:
    """The served models, by name. Loading errors are kept (and make the registry not ready) instead of raised."""

    def __init__(self, models: dict[str, LoadedModel], errors: dict[str, str] | None = None) -> None:
        self._models = dict(models)
        self.errors = dict(errors or {})

    @classmethod
    def from_directory(
        cls,
        models_dir: Path,
        *,
        providers: list[str] | None = None,
        intra_op_threads: int = 0,
        warm_up: bool = True,
        reuse: ModelRegistry | None = None,
        engine: InferenceEngine | None = None,
    ) -> ModelRegistry:
        """Load every ``*/manifest.json``. ``reuse``: a registry whose sessions are kept for unchanged models
        (same manifest content), so a reload only opens sessions for what changed. ``engine``: opens each package
        (runtime/engine.py); None: ONNX Runtime in this process with ``providers``, ``intra_op_threads``,
        ``warm_up``."""
        models: dict[str, LoadedModel] = {}
        errors: dict[str, str] = {}
        for manifest in package_manifests(models_dir):
            try:
                spec = ModelSpec.from_manifest(manifest)
                kept = reuse._models.get(spec.name) if reuse is not None else None
                if kept is not None and kept.spec.same_artifact(spec) and file_sha256(spec.file) == spec.sha256:
                    models[spec.name] = kept
                    continue
                if engine is not None:
                    models[spec.name] = engine.open_model(spec)
                else:
                    models[spec.name] = load_model(
                        spec, providers=providers, intra_op_threads=intra_op_threads, warm_up=warm_up
                    )
            except Exception as exc:  # keep serving the others; /readyz reports it
                log.error("could not load model from %s: %s", manifest, exc)
                errors[manifest.parent.name] = str(exc)
        if not models and not errors:
            errors["*"] = f"no {MANIFEST_NAME} found under {models_dir}"
        return cls(models, errors)

    @classmethod
    def from_settings(cls, settings: Settings, *, reuse: ModelRegistry | None = None,
                      engine: InferenceEngine | None = None) -> ModelRegistry:
        return cls.from_directory(
            settings.models_dir,
            providers=settings.onnx_providers,
            intra_op_threads=settings.onnx_intra_op_threads,
            warm_up=settings.onnx_warmup,
            reuse=reuse,
            engine=engine,
        )

    @property
    def ready(self) -> bool:
        return bool(self._models) and not self.errors

    def get(self, name: str) -> LoadedModel:
        try:
            return self._models[name]
        except KeyError:
            known = sorted(self._models)
            raise KeyError(f"model {name!r} is not loaded; loaded models: {known}") from None

    def by_task(self, task: str) -> LoadedModel:
        for loaded in self._models.values():
            if loaded.spec.task == task:
                return loaded
        raise KeyError(f"no loaded model serves task {task!r}; loaded: {sorted(self._models)}")

    def describe(self) -> list[dict[str, Any]]:
        return [m.describe() for m in self._models.values()]

    @property
    def models(self) -> dict[str, LoadedModel]:
        """The loaded models by name (a copy)."""
        return dict(self._models)

    def close(self) -> None:
        self._models.clear()
