"""The enrolled package end to end: read references, export and check the feature extractor, features through
ONNX Runtime (what serving runs), bank, calibration, manifest, model card, MLflow run."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from smartinspect.domain.tasks import WOOD_ENROLLED_TASK
from smartinspect.runtime import OnnxModel, file_sha256
from smartinspect.training.backbone import CODE_WHEEL, LICENCE, WEIGHTS_FILE, WEIGHTS_WHEEL
from smartinspect.wood.enrolled import BANK_FILE
from smartinspect.wood.preprocess import CROP
from smartinspect.wood.train.enroll import (
    BATCH,
    GRID,
    UNKNOWN_ACCEPT,
    Calibration,
    build_bank,
    calibrate,
    crop_batch,
    decision_params,
    gate_from_references,
    leave_out_distances,
    read_references,
    replace_package,
)
from smartinspect.wood.train.enroll_card import write_card
from smartinspect.wood.train.enroll_features import DEFAULT_STAGES, EnrolledFeatures, check_parity, export_features

log = logging.getLogger(__name__)
MODEL_NAME = "wood-enrolled"
ONNX_FILE = "features.onnx"


@dataclass(frozen=True)
class EnrollResult:
    package: Path
    manifest: dict
    seconds: dict[str, float]


def onnx_features(path: Path, batch: np.ndarray, threads: int = 0) -> np.ndarray:
    model = OnnxModel(path, providers=["CPUExecutionProvider"], intra_op_threads=threads)
    return np.concatenate([model.run(batch[s:s + BATCH])[0] for s in range(0, len(batch), BATCH)])


def enroll(references: Path, out: Path, *, settings, source: str | None = None, track: bool = True,
           stages: tuple[str, ...] = DEFAULT_STAGES) -> EnrollResult:
    """Enroll ``references`` (one folder per taxon) into the package folder ``out`` (replaced atomically)."""
    t0 = time.perf_counter()
    refs = read_references(references, settings)
    t_read = time.perf_counter()
    staging = out.parent / f".{out.name}.staging"
    staging.mkdir(parents=True, exist_ok=True)
    net = EnrolledFeatures(stages)
    onnx_path = export_features(net, staging / ONNX_FILE, crop=CROP)
    batch = crop_batch(refs.views)
    parity = check_parity(net, onnx_path, batch[: min(len(batch), 16)])
    features = onnx_features(onnx_path, batch)
    t_features = time.perf_counter()
    bank = build_bank(features, refs.refs, refs.taxa)
    bank.save(staging / BANK_FILE)
    distances, truth = leave_out_distances(features, refs.refs, refs.taxa)
    calibration = calibrate(distances, truth)
    t_fit = time.perf_counter()
    seconds = {"read": t_read - t0, "features": t_features - t_read, "calibrate": t_fit - t_features}
    manifest = _manifest(refs, calibration, staging, stages=stages, parity=parity, seconds=seconds,
                         source=source or f"reference photos under {references}")
    mlflow_info = _track(settings, manifest, staging) if track else {}
    manifest["mlflow"] = mlflow_info
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    write_card(staging, manifest, refs.counts)
    replace_package(staging, out)
    seconds["total"] = time.perf_counter() - t0
    log.info("enrolled %d photos of %d taxa into %s in %.1f s", len(refs.refs), len(refs.taxa), out, seconds["total"])
    return EnrollResult(out, manifest, {k: round(v, 2) for k, v in seconds.items()})


def _manifest(refs, calibration: Calibration, staging: Path, *, stages, parity: float, seconds: dict,
              source: str) -> dict:
    gate = gate_from_references(refs.views, refs.refs, refs.counts)
    version = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return {
        "name": MODEL_NAME, "task": WOOD_ENROLLED_TASK, "version": version, "file": ONNX_FILE,
        "sha256": file_sha256(staging / ONNX_FILE),
        "inputs": [{"name": "images", "shape": ["batch", 3, CROP, CROP], "dtype": "float32"}],
        "params": decision_params(refs.taxa, calibration, gate) | {
            "bank": {"file": BANK_FILE, "sha256": file_sha256(staging / BANK_FILE),
                     "crops": len(refs.refs) * GRID ** 2, "photos": len(refs.refs)},
            "backbone": {"network": "EfficientNet-Lite0 (ImageNet)", "stages": list(stages),
                         "weights": f"{WEIGHTS_WHEEL} ({WEIGHTS_FILE})", "code": CODE_WHEEL, "licence": LICENCE},
        },
        "metrics": {"calibration": {k: (round(v, 4) if isinstance(v, float) else v)
                                    for k, v in calibration.figures.items()},
                    "onnx_parity_max_abs": parity, "unknown_accept_target": UNKNOWN_ACCEPT,
                    "seconds": {k: round(v, 2) for k, v in seconds.items()}},
        "references": {"source": source, "taxa": refs.counts, "photos": len(refs.refs),
                       "specimens": len({r.specimen for r in refs.refs})},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _track(settings, manifest: dict, staging: Path) -> dict:
    """One MLflow run per enrollment: parameters, calibration figures, manifest and bank summary."""
    from smartinspect.training.tracking import configure_mlflow

    mlflow = configure_mlflow(settings, "wood-enrolled")
    params = manifest["params"]
    with mlflow.start_run(run_name=f"enroll-{manifest['version']}") as run:
        mlflow.log_params({"taxa": len(params["taxa"]), "photos": params["bank"]["photos"],
                           "crops": params["bank"]["crops"], "stages": ",".join(params["backbone"]["stages"]),
                           "grid": params["grid"], "temperature": params["temperature"],
                           "threshold": params["open_set"]["threshold"]["knn"],
                           "source": manifest["references"]["source"][:250]})
        figures = {k: v for k, v in manifest["metrics"]["calibration"].items() if isinstance(v, int | float)
                   and np.isfinite(v)}
        mlflow.log_metrics(figures | {f"seconds_{k}": v for k, v in manifest["metrics"]["seconds"].items()})
        mlflow.log_dict(manifest["references"], "references.json")
        return {"run_id": run.info.run_id, "experiment": "wood-enrolled",
                "tracking_uri": settings.mlflow_tracking_uri}
