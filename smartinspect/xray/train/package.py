"""Calibrate thresholds, evaluate on the held-out set and write the model package (ONNX, manifest, card)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.lifecycle.export import swap_into_place
from smartinspect.runtime import file_sha256
from smartinspect.runtime.registry import MANIFEST_NAME, load_package
from smartinspect.xray.evaluate import calibrate_threshold, run_dataset, summarise
from smartinspect.xray.pipeline import ScanAnalyzer

CENTERNET_ARCH = "lite0-centernet"  # model.arch of the pretrained-backbone detector (xray/train/centernet.py)
REVIEW_FALSE_ALARM_RATE = 0.05  # REVIEW sends more clean scans to a human than INSPECT sends to the yard


def write_manifest(package: Path, *, name: str, version: str, params: dict, metrics: dict, mlflow: dict,
                   lineage: dict, imgsz: int) -> None:
    manifest = {
        "name": name,
        "task": XRAY_TASK,
        "version": version,
        "file": "model.onnx",
        "sha256": file_sha256(package / "model.onnx"),
        "inputs": [{"name": "images", "shape": ["batch", 3, imgsz, imgsz], "dtype": "float32"}],
        "params": params,
        "metrics": metrics,
        "mlflow": mlflow,
        "lineage": lineage,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (package / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def _analyzer(package: Path) -> ScanAnalyzer:
    return ScanAnalyzer(load_package(package))


def serving_params(cfg, class_names: list[str]) -> dict[str, Any]:
    """The manifest's operating parameters before calibration (thresholds are set on validation scans after)."""
    params: dict[str, Any] = {
        "classes": class_names, "tile": cfg.tiles["tile"], "overlap": cfg.tiles["overlap"],
        "pitch_mm": cfg.operating["pitch_mm"], "window": cfg.operating["window"],
        "input_mode": cfg.operating.get("input_mode", "gray"), "batch_size": 8,
        "min_score": 0.05, "nms_iou": 0.5, "review_threshold": 0.25, "inspect_threshold": 0.5,
    }
    if cfg.model["arch"] == CENTERNET_ARCH:
        from smartinspect.xray.train.centernet import STRIDE

        params.update(head="centernet", stride=STRIDE)
    return params


def evaluate_and_package(*, cfg, config_path: Path, onnx_path: Path, weights: Path, calibration: tuple[Path, str],
                         test_dir: Path, parity: dict, lineage: dict, run_id: str, mlflow,
                         class_names: list[str]) -> Path:
    """``calibration``: (dataset, split) whose clean scans set the thresholds. It should be of the traffic mix the
    detector will see (the generator's defaults), not the contraband-rich training mix: 55 clean scans of that mix
    set a threshold that let 9 % of default-mix clean scans through to INSPECT (docs/xray.md)."""
    output = Path(cfg.output)
    staging = output.parent / f".{output.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shutil.copy2(onnx_path, staging / "model.onnx")
    shutil.copy2(weights, staging / "model.pt")  # for fine-tuning and the SAHI baseline benchmark; not served
    version = datetime.now(UTC).strftime("%Y.%m.%d-%H%M")
    params = serving_params(cfg, class_names)
    mlflow_info = {"run_id": run_id, "experiment": cfg.name, "tracking_uri": mlflow.get_tracking_uri()}
    common = dict(name="xray-detector", version=version, mlflow=mlflow_info, lineage=lineage,
                  imgsz=cfg.model["imgsz"])
    write_manifest(staging, params=params, metrics={}, **common)

    analyzer = _analyzer(staging)
    cal = run_dataset(analyzer, calibration[0], calibration[1], progress=True)
    clean = [ev.max_score() for ev in cal if not ev.has_contraband]
    params["inspect_threshold"] = calibrate_threshold(clean, cfg.operating["max_false_alarm_rate"])
    params["review_threshold"] = min(params["inspect_threshold"], calibrate_threshold(clean, REVIEW_FALSE_ALARM_RATE))
    params["calibration_clean_scans"] = len(clean)
    val_metrics = summarise(cal, class_names, review_threshold=params["review_threshold"],
                            inspect_threshold=params["inspect_threshold"])
    test = run_dataset(analyzer, test_dir, "test", progress=True)
    test_metrics = summarise(test, class_names, review_threshold=params["review_threshold"],
                             inspect_threshold=params["inspect_threshold"])
    metrics = {"test": _rounded(test_metrics), "val": _rounded(val_metrics), "parity": _rounded(parity)}
    write_manifest(staging, params=params, metrics=metrics, **common)
    from smartinspect.xray.train.card import write_xray_card

    write_xray_card(staging / "MODEL_CARD.md", cfg=cfg, config_path=config_path, params=params, metrics=metrics,
                    lineage=lineage, mlflow_info=mlflow_info, version=version)
    mlflow.log_metrics({f"test_{k}": v for k, v in test_metrics.items() if v == v})
    mlflow.log_metrics({f"val_{k}": v for k, v in val_metrics.items() if v == v})
    mlflow.log_params({"inspect_threshold": params["inspect_threshold"],
                       "review_threshold": params["review_threshold"]})
    mlflow.log_artifacts(str(staging), artifact_path="package")
    swap_into_place(staging, output)
    return output


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: (round(v, 4) if v == v else None) for k, v in values.items()}

