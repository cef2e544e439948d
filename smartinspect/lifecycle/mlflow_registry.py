"""The MLflow model registry: every trained package is a model version whose files are the package (ONNX,
manifest, model card), tagged with its metrics and data lineage; the aliases ``champion`` and ``challenger``
say which version serves and which one waits for the promotion gate. Training side only (imports mlflow)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smartinspect.config import Settings
from smartinspect.runtime.registry import MANIFEST_NAME

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
ALIASES = (CHAMPION, CHALLENGER)
PACKAGE_ARTIFACT = "package"  # where training logs the package in its run (xray/train/package.py, wood/train/package.py)


@dataclass(frozen=True)
class VersionRef:
    """One registered model version, as the lifecycle needs it."""

    name: str
    version: str
    run_id: str | None
    source: str
    aliases: tuple[str, ...]
    tags: dict[str, str]

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "run_id": self.run_id, "source": self.source,
                "aliases": list(self.aliases), "tags": self.tags}


def open_client(settings: Settings):
    """An MlflowClient on the configured tracking store and registry (the same SQLite store by default)."""
    try:
        import mlflow
        from mlflow import MlflowClient
    except ImportError as exc:
        raise RuntimeError("mlflow is not installed: install the training extra, `pip install -e .[train]`") from exc
    settings.ensure_dirs()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # keep CLI output to the table
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    registry_uri = settings.mlflow_registry_uri or settings.mlflow_tracking_uri
    mlflow.set_registry_uri(registry_uri)
    return MlflowClient(tracking_uri=settings.mlflow_tracking_uri, registry_uri=registry_uri)


def _ref(client, name: str, version: str) -> VersionRef:
    mv = client.get_model_version(name, version)
    return VersionRef(mv.name, str(mv.version), mv.run_id, mv.source, tuple(mv.aliases or ()), dict(mv.tags or {}))


def resolve_alias(client, name: str, alias: str) -> VersionRef | None:
    from mlflow.exceptions import MlflowException

    try:
        mv = client.get_model_version_by_alias(name, alias)
    except MlflowException:  # no such registered model, or the alias is not set
        return None
    return _ref(client, name, str(mv.version))


def list_versions(client, name: str) -> list[VersionRef]:
    versions = client.search_model_versions(f"name = '{name}'")
    return sorted((_ref(client, name, str(v.version)) for v in versions), key=lambda r: int(r.version))


def set_alias(client, name: str, alias: str, version: str) -> None:
    if alias not in ALIASES:
        raise ValueError(f"unknown alias {alias!r}; valid aliases: {', '.join(ALIASES)}")
    client.set_registered_model_alias(name, alias, version)


def clear_alias(client, name: str, alias: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.delete_registered_model_alias(name, alias)
    except MlflowException:
        pass  # already gone: a retried promotion


def download_version(client, ref: VersionRef, dst: Path) -> Path:
    """The version's package files into ``dst`` (sha256 is checked later, when the package loads)."""
    import mlflow

    dst.mkdir(parents=True, exist_ok=True)
    path = Path(mlflow.artifacts.download_artifacts(artifact_uri=ref.source, dst_path=str(dst)))
    if not (path / MANIFEST_NAME).is_file():
        raise FileNotFoundError(f"{ref.label}: its files at {ref.source} hold no {MANIFEST_NAME}")
    return path


def _version_tags(manifest: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    """Tags on a model version: what it is, its data lineage (incl. feedback) and its held-out metrics."""
    tags = {"task": manifest["task"], "package_version": str(manifest["version"]), "sha256": manifest["sha256"]}
    tags.update({f"lineage.{k}": str(v) for k, v in (manifest.get("lineage") or {}).items()})
    tags.update({f"lineage.{k}": v for k, v in params.items()
                 if k.startswith(("data.", "seed", "config")) and len(v) < 5000})
    tags.update(_generator_tags(params.get("data.train_dir")))
    for split in ("test", "parity"):
        tags.update({f"metrics.{split}.{k}": str(v) for k, v in (manifest.get("metrics", {}).get(split) or {}).items()
                     if v is not None})
    return tags


def _generator_tags(train_dir: str | None) -> dict[str, str]:
    """The synthetic generator, its version and configuration, from the training set's dataset.json."""
    info_path = Path(train_dir) / "dataset.json" if train_dir else None
    if info_path is None or not info_path.is_file():
        return {}
    info = json.loads(info_path.read_text())
    tags = {"lineage.generator": f"{info.get('generator', '?')} {info.get('generator_version', '')}".strip()}
    config = json.dumps(info.get("config", {}), sort_keys=True, separators=(",", ":"))
    if len(config) < 5000:
        tags["lineage.generator_config"] = config
    return tags


def _run_with_package(client, run_id: str | None):
    from mlflow.exceptions import MlflowException

    if not run_id:
        return None
    try:
        run = client.get_run(run_id)
    except MlflowException:
        return None  # a run of another store (e.g. a package trained elsewhere)
    return run if client.list_artifacts(run_id, PACKAGE_ARTIFACT) else None


def _import_run(settings: Settings, package: Path, manifest: dict[str, Any]) -> str:
    """Log a package trained elsewhere (e.g. the shipped one) as a run, so it can be registered."""
    from smartinspect.training.tracking import configure_mlflow

    mlflow = configure_mlflow(settings, f"{manifest['name']}-imports")
    with mlflow.start_run(run_name=f"import {manifest['version']}") as run:
        mlflow.set_tags({"imported_from": str(package.resolve()),
                         "original_run_id": str(manifest.get("mlflow", {}).get("run_id", ""))})
        mlflow.log_params({k: v for k, v in (manifest.get("lineage") or {}).items()})
        test = manifest.get("metrics", {}).get("test") or {}
        mlflow.log_metrics({f"test_{k}": float(v) for k, v in test.items() if isinstance(v, (int, float))})
        mlflow.log_artifacts(str(package), artifact_path=PACKAGE_ARTIFACT)
    return run.info.run_id


def register_package(settings: Settings, *, package: Path, alias: str | None = CHALLENGER) -> VersionRef:
    """Register a package (its training run's logged copy) as a model version and point ``alias`` at it.

    Idempotent: a package already registered (same sha256 and package version) is not registered twice.
    """
    package = Path(package)
    manifest = json.loads((package / MANIFEST_NAME).read_text())
    name = manifest["name"]
    client = open_client(settings)
    same = [v for v in list_versions(client, name) if v.tags.get("sha256") == manifest["sha256"]
            and v.tags.get("package_version") == str(manifest["version"])]
    if same:  # this exact package is registered already (a retry, or a re-import)
        ref = same[0]
    else:
        run = _run_with_package(client, manifest.get("mlflow", {}).get("run_id"))
        if run is None:
            run = client.get_run(_import_run(settings, package, manifest))
        run_id = run.info.run_id
        from mlflow.exceptions import MlflowException

        try:
            client.create_registered_model(name, tags={"task": manifest["task"]},
                                           description="smartinspect model; versions are ONNX packages")
        except MlflowException:
            pass  # already registered
        mv = client.create_model_version(
            name, source=f"{run.info.artifact_uri}/{PACKAGE_ARTIFACT}", run_id=run_id,
            tags=_version_tags(manifest, dict(run.data.params)),
            description=f"package {manifest['version']} (sha256 {manifest['sha256'][:12]})",
        )
        ref = _ref(client, name, str(mv.version))
        log.info("registered %s from run %s", ref.label, run_id)
    if alias:
        set_alias(client, name, alias, ref.version)
    return _ref(client, name, ref.version)
