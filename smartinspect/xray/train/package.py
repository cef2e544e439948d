"""Calibrate thresholds, evaluate on the held-out set and write the model package (ONNX, manifest, card)."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.lifecycle.calibration import fit_platt
from smartinspect.lifecycle.export import swap_into_place
from smartinspect.runtime import file_sha256
from smartinspect.runtime.registry import MANIFEST_NAME, load_package
from smartinspect.storage.blobs import write_file_atomically
from smartinspect.xray.dataset import dataset_fingerprint
from smartinspect.xray.detector import platt
from smartinspect.xray.evaluate import ScanEval, calibrate_threshold, run_dataset, summarise
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.types import Detections

log = logging.getLogger(__name__)
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

    params, cal = calibrate_package(staging, *calibration, max_false_alarm_rate=cfg.operating["max_false_alarm_rate"])
    val_metrics = summarise(cal, class_names, review_threshold=params["review_threshold"],
                            inspect_threshold=params["inspect_threshold"])
    analyzer = _analyzer(staging)  # with the calibrated scores and thresholds
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


def calibrate_package(package: Path, dataset: Path, split: str, *, max_false_alarm_rate: float,
                      review_false_alarm_rate: float = REVIEW_FALSE_ALARM_RATE) -> tuple[dict[str, Any], list[ScanEval]]:
    """Fit the package's score calibration and thresholds on a calibration set, and rewrite its manifest.

    The detector runs with raw scores; Platt scaling (``lifecycle.calibration.fit_platt``) is fitted on the scans with
    at least one detection, their highest raw score against "carries contraband"; then INSPECT and REVIEW are set
    at ``max_false_alarm_rate`` and ``review_false_alarm_rate`` of the clean scans' calibrated highest scores.
    Returns the new params and the calibration scans with calibrated scores. Training calls it on its staging
    package; ``smartinspect train xray-calibrate`` on a finished one (the model itself is untouched)."""
    manifest_path = package / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text())
    params = dict(manifest["params"])
    params.pop("score_calibration", None)
    analyzer = _analyzer(package)
    analyzer.detector.params = replace(analyzer.detector.params, score_calibration=None)  # fit on raw scores
    evals = run_dataset(analyzer, dataset, split, progress=True)
    seen = [ev for ev in evals if len(ev.detections)]
    ab = fit_platt([ev.max_score() for ev in seen], [ev.has_contraband for ev in seen])
    if ab is not None:
        for ev in evals:
            d = ev.detections
            ev.detections = Detections(d.boxes, platt(d.scores, ab), d.class_ids)
        params["score_calibration"] = [round(ab[0], 6), round(ab[1], 6)]
    clean = [ev.max_score() for ev in evals if not ev.has_contraband]
    params["inspect_threshold"] = calibrate_threshold(clean, max_false_alarm_rate)
    params["review_threshold"] = min(params["inspect_threshold"], calibrate_threshold(clean, review_false_alarm_rate))
    params["calibration_clean_scans"] = len(clean)
    manifest["params"] = params
    write_file_atomically(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
    return params, evals


def record_calibration(package: Path, dataset: Path, split: str, *, max_false_alarm_rate: float) -> dict[str, Any]:
    """:func:`calibrate_package` on a finished package, recorded where a reader of the package will look: the model
    card gets a section, and the package's MLflow run (if its store is reachable) the new manifest. Returns the
    calibrated params and what they do on the calibration set."""
    manifest = json.loads((package / MANIFEST_NAME).read_text())  # its registry and MLflow entries do not change
    if "registry" in manifest:
        raise ValueError(f"{package} is an exported champion (its manifest names its registry version): calibrate "
                         "the candidate package before it is promoted, not the package in service")
    params, evals = calibrate_package(package, dataset, split, max_false_alarm_rate=max_false_alarm_rate)
    on_set = summarise(evals, list(params["classes"]), review_threshold=params["review_threshold"],
                       inspect_threshold=params["inspect_threshold"])
    record = {
        "dataset": str(dataset), "split": split, "dataset_sha256": dataset_fingerprint(dataset),
        "score_calibration": params.get("score_calibration"), "inspect_threshold": params["inspect_threshold"],
        "review_threshold": params["review_threshold"], "clean_scans": params["calibration_clean_scans"],
        "on_calibration_set": _rounded({k: v for k, v in on_set.items() if k.startswith(("scan_", "map50"))}),
    }
    card = package / "MODEL_CARD.md"
    if card.is_file():
        text = card.read_text().split("\n## Calibration (after training)")[0].rstrip("\n")
        text += ("\n\n## Calibration (after training)\n"
                 f"`smartinspect train xray-calibrate --package {package} --dataset {dataset} --split {split} "
                 f"--max-false-alarm-rate {max_false_alarm_rate}` (the thresholds above are replaced by these):\n"
                 f"```\n{json.dumps(record, indent=2)}\n```\n")
        write_file_atomically(card, text.encode())
    run_id = (manifest.get("mlflow") or {}).get("run_id")
    if run_id:
        try:
            from mlflow.tracking import MlflowClient

            client = MlflowClient(tracking_uri=manifest["mlflow"]["tracking_uri"])
            # the run's package is what its registered version serves once promoted: it gets the calibrated manifest
            # and card (a candidate is calibrated before promotion; an exported champion is refused above)
            client.log_dict(run_id, record, "package/calibration.json")
            client.log_artifact(run_id, str(package / MANIFEST_NAME), artifact_path="package")
            if card.is_file():
                client.log_artifact(run_id, str(card), artifact_path="package")
        except Exception as exc:  # the package stays usable without its tracking store (e.g. copied elsewhere)
            log.warning("calibration not logged to MLflow run %s: %s", run_id, exc)
    return record


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: (round(v, 4) if v == v else None) for k, v in values.items()}

