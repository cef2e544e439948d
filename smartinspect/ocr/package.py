"""Re-create ``models/ocr-det``, ``models/ocr-cls`` and ``models/ocr-rec`` from the ``rapidocr==3.10.0`` wheel.

RapidOCR's own defaults decide which files: ``config.yaml`` names the OCR version, model size and language for
det, cls and rec; its ``default_models.yaml`` routes them to a file name and a SHA-256, which we check. The files
are copied unchanged (Apache-2.0, PaddleOCR) next to a manifest in the registry's format and a model card.
Needs the ``rapidocr`` package (dev extra); serving never imports it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from smartinspect.ocr.detect import DetParams
from smartinspect.ocr.orient import ClsParams
from smartinspect.ocr.recognize import RecParams
from smartinspect.runtime.registry import file_sha256

RAPIDOCR_VERSION = "3.10.0"
LICENSE = "Apache-2.0 (PaddleOCR models, redistributed in the rapidocr wheel)"


@dataclass(frozen=True)
class OcrPart:
    directory: str  # models/<directory>
    section: str  # RapidOCR config section: Det, Cls, Rec
    task: str
    inputs: list[dict[str, Any]]
    params: dict[str, Any]
    purpose: str


# The detector's spatial dims are dynamic (any multiple of 32); the manifest gives 320x320 because the registry
# warms a model up with its manifest's shape, and the DB network cannot run on 1x1.
PARTS = (
    OcrPart("ocr-det", "Det", "ocr-detection",
            [{"name": "x", "shape": ["batch", 3, 320, 320], "dtype": "float32"}],
            {**DetParams().__dict__, "dynamic_axes": {"x": ["batch", "height/32", "width/32"]}},
            "text-line detection (DB): a probability map of text pixels"),
    OcrPart("ocr-cls", "Cls", "ocr-angle",
            [{"name": "x", "shape": ["batch", 3, 48, 192], "dtype": "float32"}],
            {**ClsParams().__dict__, "labels": list(ClsParams().labels)},
            "text-line orientation (0 or 180 degrees)"),
    OcrPart("ocr-rec", "Rec", "ocr-recognition",
            [{"name": "x", "shape": ["batch", 3, 48, "width"], "dtype": "float32"}],
            {**RecParams().__dict__, "charset": "embedded in the ONNX metadata ('character'), Chinese + English"},
            "text-line recognition (CTC): per-step character probabilities"),
)


def rapidocr_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"rapidocr is not installed: `pip install rapidocr=={RAPIDOCR_VERSION}` (dev extra)")
    return Path(next(iter(spec.submodule_search_locations)))


def resolve_default_files(source: Path) -> dict[str, dict[str, Any]]:
    """For Det/Cls/Rec: the default model's file path, SHA-256, version and size from RapidOCR's own config."""
    from rapidocr.utils.model_resolver import route_to_model_key
    from rapidocr.utils.typings import ModelType, OCRVersion, TaskType

    config = yaml.safe_load((source / "config.yaml").read_text())
    models = yaml.safe_load((source / "default_models.yaml").read_text())
    resolved = {}
    for section in ("Det", "Cls", "Rec"):
        cfg = config[section]
        task, version, size = TaskType(cfg["task_type"]), OCRVersion(cfg["ocr_version"]), ModelType(cfg["model_type"])
        key = route_to_model_key(task, version, cfg["lang_type"], size)
        entry = models[cfg["engine_type"]][version.value][task.value][key]
        path = source / "models" / Path(entry["model_dir"]).name
        resolved[section] = {"path": path, "sha256": entry["SHA256"], "model_key": key,
                             "ocr_version": version.value, "model_type": size.value, "lang": cfg["lang_type"]}
    return resolved


def import_models(models_dir: Path, *, metrics: dict[str, Any] | None = None,
                  mlflow_run: dict[str, Any] | None = None) -> list[Path]:
    """Copy the default PP-OCR det/cls/rec files into ``models_dir`` with manifests and model cards."""
    source = rapidocr_dir()
    resolved = resolve_default_files(source)
    written = []
    for part in PARTS:
        info = resolved[part.section]
        actual = file_sha256(info["path"])
        if actual != info["sha256"]:
            raise ValueError(f"{info['path']}: sha256 {actual} differs from rapidocr's {info['sha256']}")
        target = Path(models_dir) / part.directory
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(info["path"], target / info["path"].name)
        manifest = _manifest(part, info, metrics or {}, mlflow_run or {})
        (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        (target / "MODEL_CARD.md").write_text(model_card(part, manifest))
        written.append(target)
    return written


def _manifest(part: OcrPart, info: dict[str, Any], metrics: dict[str, Any], mlflow_run: dict[str, Any]) -> dict:
    version = f"{info['ocr_version']}-{info['model_type']}"
    return {
        "name": part.directory,
        "task": part.task,
        "version": version,
        "file": info["path"].name,
        "sha256": info["sha256"],
        "inputs": part.inputs,
        "params": part.params,
        "metrics": metrics,
        "mlflow": mlflow_run,
        "source": {"package": f"rapidocr=={RAPIDOCR_VERSION}", "path": f"rapidocr/models/{info['path'].name}",
                   "model_key": info["model_key"], "language": info["lang"], "license": LICENSE},
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def model_card(part: OcrPart, manifest: dict[str, Any]) -> str:
    metrics = manifest["metrics"]
    rows = "\n".join(f"| {k} | {v} |" for k, v in _flatten(metrics).items()) or "| (not measured yet) | |"
    run = manifest["mlflow"].get("run_id", "none yet: run the import with --metrics")
    return f"""# Model card: {manifest['name']} {manifest['version']}

PaddleOCR {manifest['version']} model for {part.purpose}, one of the three models of the document OCR engine
(`smartinspect.ocr`, docs/ocr.md), served through our shared ONNX Runtime layer.

## Model
- File `{manifest['file']}`, sha256 `{manifest['sha256']}`, copied unchanged from the `rapidocr=={RAPIDOCR_VERSION}`
  wheel (`{manifest['source']['path']}`, RapidOCR model key `{manifest['source']['model_key']}`): the file
  `RapidOCR()` uses by default for this step.
- Task `{manifest['task']}`; inputs {json.dumps(manifest['inputs'])}.
- Pre- and post-processing are ours (numpy/OpenCV): see `smartinspect/ocr/` and docs/ocr.md. Operating
  parameters are in `manifest.json` (`params`).
- Licence: {LICENSE}. The Apache-2.0 licence and PaddleOCR's copyright notice apply to this file.

## Data
- Not trained here: PaddleOCR trained it on its own Chinese/English (and multilingual) data. We have not
  fine-tuned it.
- Our measurements use synthetic customs documents (zh and en) rendered by `smartinspect datagen documents`
  or, without it, the benchmark's own rendered pages (docs/benchmarks.md).

## Metrics (whole OCR engine, from `smartinspect bench ocr`)
| metric | value |
|---|---|
{rows}

## Tracking
- MLflow run: `{run}` (experiment `ocr-models`, logged by the import command).

## Re-create (this model is imported, not retrained)
```
pip install rapidocr=={RAPIDOCR_VERSION}   # the dev extra
smartinspect ocr-import-models --metrics docs/bench-ocr.json
```
"""


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def log_import_run(settings, parts: list[Path], metrics: dict[str, Any]) -> dict[str, Any]:
    """Record the import as an MLflow run (experiment ``ocr-models``): sources, sha256s and the bench metrics."""
    from smartinspect.training.tracking import configure_mlflow

    mlflow = configure_mlflow(settings, "ocr-models")
    with mlflow.start_run(run_name=f"import-rapidocr-{RAPIDOCR_VERSION}") as run:
        for path in parts:
            manifest = json.loads((path / "manifest.json").read_text())
            mlflow.log_params({f"{manifest['name']}.file": manifest["file"],
                               f"{manifest['name']}.sha256": manifest["sha256"],
                               f"{manifest['name']}.version": manifest["version"]})
        mlflow.log_param("source", f"rapidocr=={RAPIDOCR_VERSION}")
        numeric = {k.replace("/", "_"): float(v) for k, v in _flatten(metrics).items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if numeric:
            mlflow.log_metrics(numeric)
        return {"run_id": run.info.run_id, "experiment": "ocr-models", "tracking_uri": settings.mlflow_tracking_uri}
