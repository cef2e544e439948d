"""``smartinspect anomaly fit``: export the extractor, fit the bank, calibrate, evaluate, log to MLflow, package."""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch

from smartinspect.anomaly.evaluate import LabelledImage, evaluate_scorer
from smartinspect.anomaly.preprocess import read_attenuation, to_network_input
from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.anomaly.train.card import write_anomaly_card
from smartinspect.anomaly.train.extractor import INPUT_NAME, PatchFeatureNet, check_parity, export_onnx, feature_net
from smartinspect.anomaly.train.fit import (
    FitConfig,
    calibrate_threshold,
    choose_window,
    fit_memory_bank,
    list_normal_images,
    split_images,
)
from smartinspect.anomaly.types import ViewParams
from smartinspect.domain.tasks import ANOMALY_TASK
from smartinspect.lifecycle.export import swap_into_place
from smartinspect.runtime import file_sha256
from smartinspect.runtime.registry import MANIFEST_NAME
from smartinspect.training import backbone

log = logging.getLogger(__name__)
EXTRACTOR_FILE = "extractor.onnx"
BANK_FILE = "memory_bank.npz"
EXPERIMENT = "xray-anomaly"
WARMUP_SHAPE = [1, 3, 256, 512]  # the graph's height and width are dynamic; this is only the warm-up input


def _backbone(source: dict | None) -> dict[str, Any]:
    imagenet = f"{backbone.WEIGHTS_WHEEL} {backbone.WEIGHTS_FILE}"
    if source is None:
        return {"name": "efficientnet-lite0", "weights": imagenet, "licence": backbone.LICENCE}
    return {"name": "efficientnet-lite0", "weights": f"fine-tuned in X-ray detector {source['name']} "
            f"{source['version']} from {imagenet}", "licence": backbone.LICENCE, "fine_tuned_in": source}


def _params(view: ViewParams, cfg: FitConfig, *, threshold: float, stride: int, bank_sha: str,
            source: dict | None = None) -> dict[str, Any]:
    return {
        "site": cfg.site,
        "view": {"scale": view.scale, "window": view.window, "fit_pitch_mm": view.fit_pitch_mm,
                 "pad_multiple": view.pad_multiple, "input_mode": view.input_mode},
        "score": {"top_k": cfg.top_k, "smooth_sigma": cfg.smooth_sigma, "threshold": threshold,
                  "false_alarm_rate": cfg.false_alarm_rate},
        "feature_stride": stride, "stages": list(cfg.stages), "neighbourhood": cfg.neighbourhood,
        "bank_file": BANK_FILE, "bank_sha256": bank_sha,
        "backbone": _backbone(source),
    }


def write_manifest(package: Path, *, name: str, version: str, params: dict, metrics: dict, mlflow: dict,
                   lineage: dict) -> None:
    manifest = {
        "name": name, "task": ANOMALY_TASK, "version": version, "file": EXTRACTOR_FILE,
        "sha256": file_sha256(package / EXTRACTOR_FILE),
        "inputs": [{"name": INPUT_NAME, "shape": WARMUP_SHAPE, "dtype": "float32"}],
        "params": params, "metrics": metrics, "mlflow": mlflow, "lineage": lineage,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (package / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def _parity(net: PatchFeatureNet, onnx_path: Path, images: list[Path], view: ViewParams) -> dict[str, float]:
    batches = [to_network_input(read_attenuation(p)[:1024, :1024], view)[0][0] for p in images[:2]]
    parity = check_parity(net, onnx_path, batches)
    if parity["parity_max_rel"] > 1e-3:
        raise RuntimeError(f"ONNX export differs from torch: {parity}")
    return parity


def _evaluations(scorer: AnomalyScorer, evaluations: dict[str, list[LabelledImage]]) -> dict[str, dict]:
    return {name: evaluate_scorer(scorer, items).as_dict() for name, items in evaluations.items() if items}


def fit_package(images_dir: Path, out: Path, cfg: FitConfig, *, settings, name: str = "xray-anomaly",
                evaluations: dict[str, list[LabelledImage]] | None = None, lineage: dict | None = None) -> Path:
    """Fit on the normal images in ``images_dir`` and write the package to ``out`` (replaced atomically).

    ``evaluations``: labelled sets scored after calibration (figures go to the manifest, card and MLflow).
    """
    from smartinspect.training.tracking import configure_mlflow

    torch.manual_seed(cfg.seed)
    start = time.perf_counter()
    paths = list_normal_images(images_dir)
    fit_paths, cal_paths = split_images(paths, cfg.calibration_fraction, cfg.seed)
    net, source = feature_net(cfg.stages, neighbourhood=cfg.neighbourhood, features_from=cfg.features_from)
    input_mode = source["input_mode"] if source else cfg.input_mode  # a detector's features: its own windows
    view = ViewParams(scale=cfg.scale, window=choose_window(fit_paths, cfg.window), fit_pitch_mm=cfg.fit_pitch_mm,
                      pad_multiple=net.max_stride, input_mode=input_mode, crop=cfg.crop)
    out = Path(out)
    staging = out.parent / f".{out.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    onnx_path = export_onnx(net, staging / EXTRACTOR_FILE)
    parity = _parity(net, onnx_path, fit_paths, view)
    bank, timings = fit_memory_bank(onnx_path, fit_paths, view, net.stride, cfg)
    bank.save(staging / BANK_FILE)
    version = datetime.now(UTC).strftime("%Y.%m.%d-%H%M")
    lineage = {"images_dir": str(images_dir), "images": len(paths), "fit_images": len(fit_paths),
               "calibration_images": len(cal_paths), **(lineage or {})}
    bank_sha = file_sha256(staging / BANK_FILE)
    common = dict(name=name, version=version, lineage=lineage)
    write_manifest(staging, params=_params(view, cfg, threshold=float("inf"), stride=net.stride, bank_sha=bank_sha,
                                           source=source), metrics={}, mlflow={}, **common)
    scorer = AnomalyScorer.from_package(staging, providers=["CPUExecutionProvider"])
    threshold, cal_scores = calibrate_threshold(scorer, cal_paths, cfg.false_alarm_rate)
    timings["fit_total_s"] = time.perf_counter() - start
    params = _params(view, cfg, threshold=threshold, stride=net.stride, bank_sha=bank_sha, source=source)
    write_manifest(staging, params=params, metrics={}, mlflow={}, **common)
    scorer = AnomalyScorer.from_package(staging, providers=["CPUExecutionProvider"])
    metrics: dict[str, Any] = {
        "fit": {k: round(v, 2) for k, v in timings.items()},
        "calibration": {"images": len(cal_scores), "threshold": round(threshold, 4),
                        "score_median": round(float(np.median(cal_scores)), 4),
                        "score_max": round(float(np.max(cal_scores)), 4)},
        "parity": {k: float(f"{v:.3g}") for k, v in parity.items()},
        **_evaluations(scorer, evaluations or {}),
    }
    mlflow = configure_mlflow(settings, EXPERIMENT)
    with mlflow.start_run() as run:
        mlflow.log_params({**{k: str(v) for k, v in cfg.as_dict().items()}, "window_used": round(view.window, 4)})
        mlflow.log_metrics(_flat(metrics))
        mlflow_info = {"run_id": run.info.run_id, "experiment": EXPERIMENT, "tracking_uri": mlflow.get_tracking_uri()}
        write_manifest(staging, params=params, metrics=metrics, mlflow=mlflow_info, **common)
        command = "smartinspect " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv else ""
        write_anomaly_card(staging / "MODEL_CARD.md", name=name, version=version, params=params, metrics=metrics,
                           lineage=lineage, mlflow_info=mlflow_info, cfg=cfg, command=command)
        mlflow.log_artifacts(str(staging), artifact_path="package")
    swap_into_place(staging, out)
    return out


def _flat(metrics: dict, prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}_"))
        elif isinstance(value, int | float) and value == value and abs(value) != float("inf"):
            flat[f"{prefix}{key}"] = float(value)
    return flat
