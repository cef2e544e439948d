"""Calibrate (temperature, class Gaussians, gate, open-set threshold), export, evaluate and write the package."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.domain.tasks import WOOD_TASK
from smartinspect.lifecycle.export import swap_into_place
from smartinspect.runtime import file_sha256
from smartinspect.runtime.registry import MANIFEST_NAME, load_package
from smartinspect.wood.gate import calibrate_gate, view_statistics
from smartinspect.wood.inferencer import OpenSetRule, WoodClassifier
from smartinspect.wood.taxa import load_taxa
from smartinspect.wood.train.data import ViewSet
from smartinspect.wood.train.openset import (
    ANATOMY_COMBINATIONS,
    MIN_CLASS_ACCEPTANCE,
    SCORE_COMBINATIONS,
    choose_open_set_rule,
)
from smartinspect.wood.train.pipeline import WoodTrainConfig, fit_temperature, image_outputs, members_of

MODEL_NAME = "wood-classifier"


def write_manifest(package: Path, *, version: str, params: dict, metrics: dict, mlflow: dict, lineage: dict,
                   crop: int, outputs: list[str]) -> None:
    manifest = {
        "name": MODEL_NAME, "task": WOOD_TASK, "version": version, "file": "model.onnx",
        "sha256": file_sha256(package / "model.onnx"),
        "inputs": [{"name": "images", "shape": ["batch", 3, crop, crop], "dtype": "float32"}],
        "outputs": list(outputs),
        "params": params, "metrics": metrics, "mlflow": mlflow, "lineage": lineage,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (package / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def _classifier(package: Path) -> WoodClassifier:
    return WoodClassifier(load_package(package, intra_op_threads=1))


def _subset(views: ViewSet, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = [rng.permutation(np.flatnonzero(views.labels == k))[:per_class] for k in np.unique(views.labels)]
    return np.sort(np.concatenate(idx))


@dataclass(frozen=True)
class TrainingCrops:
    """Crop features of up to ``per_class`` training photos per class: one network pass, shared by the class
    Gaussians, the k-NN bank and the anatomy head (each used to run its own pass over the same photos)."""

    index: np.ndarray  # rows of the training set, sorted
    labels: np.ndarray  # class of each crop (photo labels repeated grid x grid times)
    features: np.ndarray  # (crops, width), photo by photo
    per_photo: int  # crops per photo (grid x grid)


def training_crops(net, train: ViewSet, *, crop: int, grid: int, per_class: int, seed: int) -> TrainingCrops:
    idx = _subset(train, per_class, seed)
    _, feats = image_outputs(net, train.views[idx], crop=crop, grid=grid)
    return TrainingCrops(idx, np.repeat(train.labels[idx], grid * grid), feats, grid * grid)


def fit_open_set(crops: TrainingCrops, *, n_classes: int, bank_per_class: int | None = None):
    """Class means, tied precision and the k-NN bank from the training crops; the bank from the first
    ``bank_per_class`` photos per class when given (an ensemble's features are several networks wide, and the bank
    is most of the graph's size)."""
    import torch

    from smartinspect.wood.train.network import fit_gaussian

    feats = crops.features
    means, precision = fit_gaussian(torch.from_numpy(feats), torch.from_numpy(crops.labels), n_classes)
    bank = feats
    photo_labels = crops.labels[::crops.per_photo]
    if bank_per_class is not None and bank_per_class < np.bincount(photo_labels).max():
        keep = np.concatenate([np.flatnonzero(photo_labels == k)[:bank_per_class] for k in np.unique(photo_labels)])
        bank = feats.reshape(len(photo_labels), crops.per_photo, -1)[np.sort(keep)].reshape(-1, feats.shape[1])
    return means, precision, torch.from_numpy(bank)


def fit_anatomy_head(net, train: ViewSet, outliers: ViewSet | None, crops: TrainingCrops, *, crop: int, grid: int,
                     seed: int, n_classes: int, max_outliers: int = 600, ridge: float = 1e-3):
    """The ``AnatomyHead`` of a trained network: a ridge regression from crop features to the standardised anatomy
    descriptor (``datagen.wood.anatomy.descriptor``), fitted on the training crops (the photos of the class
    Gaussians) and on the crops of up to ``max_outliers`` chimera/swap outliers (their anatomy varies independently
    of the class, which a regression fitted on the known classes alone could not separate from the class itself);
    then class means and a tied precision of the predicted descriptors of the training crops. Returns (head, fit
    report)."""
    import torch

    from smartinspect.wood.train.network import AnatomyHead, fit_gaussian

    idx, per, f_known = crops.index, crops.per_photo, crops.features
    y_known = np.repeat(train.descriptors()[idx], per, axis=0)
    feats, targets = [f_known], [y_known]
    if outliers is not None and len(outliers.views):
        desc = outliers.descriptors()
        rows = np.flatnonzero(np.isfinite(desc).all(1))
        rows = np.sort(np.random.default_rng(seed).permutation(rows)[:max_outliers])
        if len(rows):
            feats.append(image_outputs(net, outliers.views[rows], crop=crop, grid=grid)[1])
            targets.append(np.repeat(desc[rows], per, axis=0))
    x, y = np.concatenate(feats).astype(np.float64), np.concatenate(targets).astype(np.float64)
    fit = np.isfinite(y).all(1)
    x, y = x[fit], y[fit]
    keep = y.std(0) > 1e-6
    y = (y[:, keep] - y[:, keep].mean(0)) / y[:, keep].std(0)
    centre = x.mean(0)
    xc = x - centre
    weight = np.linalg.solve(xc.T @ xc + ridge * len(xc) * np.eye(xc.shape[1]), xc.T @ y)
    r2 = 1 - ((xc @ weight - y) ** 2).sum(0) / (y ** 2).sum(0)
    predicted = torch.from_numpy((f_known - centre) @ weight)
    means, precision = fit_gaussian(predicted, torch.from_numpy(crops.labels), n_classes)
    head = AnatomyHead(torch.from_numpy(centre), torch.from_numpy(weight), means, precision)
    return head, {"anatomy_descriptors": float(keep.sum()), "anatomy_fit_crops": float(len(x)),
                  "anatomy_r2_median": float(np.median(r2)), "anatomy_r2_min": float(r2.min())}


def export_with_open_set_head(cfg: WoodTrainConfig, net, train: ViewSet, val: ViewSet, staging: Path,
                              outliers: ViewSet | None = None):
    """Temperature (validation), class Gaussians and k-NN bank (training crops), the anatomy head when
    ``operating.anatomy_score`` is set, ONNX export, parity. The network is rounded to float16 values first and
    the open-set statistics after they are fitted (float16 storage: smartinspect.wood.train.export), so that
    everything calibrated here sees the values the package stores.

    Returns (the export wrapper, the temperature, the parity and anatomy-fit figures).
    """
    from smartinspect.wood.preprocess import grid_crops, to_batch
    from smartinspect.wood.train.export import check_parity, export_onnx, round_to_float16
    from smartinspect.wood.train.network import ExportWrapper

    crop, grid = cfg.model["crop"], cfg.model.get("grid", 2)
    round_to_float16(net)
    val_logits, _ = image_outputs(net, val.views, crop=crop, grid=grid)
    temperature = fit_temperature(val_logits, val.labels)
    per_class = cfg.operating.get("gaussian_photos_per_class", 60)
    crops = training_crops(net, train, crop=crop, grid=grid, per_class=per_class, seed=cfg.seed)
    means, precision, bank = fit_open_set(crops, n_classes=len(cfg.taxa),
                                          bank_per_class=cfg.operating.get("knn_bank_photos_per_class"))
    anatomy, report = None, {}
    if cfg.operating.get("anatomy_score"):
        anatomy, report = fit_anatomy_head(net, train, outliers, crops, crop=crop, grid=grid, seed=cfg.seed,
                                           n_classes=len(cfg.taxa))
    wrapper = ExportWrapper(net, means, precision, bank, k=cfg.operating.get("knn_k", 5), anatomy=anatomy).eval()
    round_to_float16(wrapper)
    export_onnx(wrapper, staging / "model.onnx", crop=crop)
    sample = np.concatenate([to_batch(grid_crops(v, crop, grid)) for v in val.views[:8]])
    return wrapper, temperature, check_parity(wrapper, staging / "model.onnx", sample) | report


def calibrate_export_and_package(*, cfg: WoodTrainConfig, config_path: Path, net, train: ViewSet, val: ViewSet,
                                 test_dir: Path, run_dir: Path, lineage: dict, run_id: str, mlflow,
                                 open_set_val_dir: Path | None = None, outliers: ViewSet | None = None,
                                 calibration_dir: Path | None = None) -> Path:
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.evaluate import run_photos, summarise

    m, op, taxa = cfg.model, cfg.operating, cfg.taxa
    crop, grid, table = m["crop"], m.get("grid", 2), load_taxa()
    output = Path(cfg.output)
    staging = output.parent / f".{output.name}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    wrapper, temperature, parity = export_with_open_set_head(cfg, net, train, val, staging, outliers)
    mlflow.log_metrics(parity)
    # The gate: colour and texture ranges from 80 training photos per class (as before the class colours, so that
    # the global thresholds of a recalibrated model stay the same); each class's colour range from all its photos.
    stats = [view_statistics(v) for v in train.views]
    gate = calibrate_gate([stats[i] for i in _subset(train, 80, cfg.seed + 1)], class_stats=stats,
                          classes=[taxa[k] for k in train.labels])
    version = datetime.now(UTC).strftime("%Y.%m.%d-%H%M")
    params: dict[str, Any] = {
        "taxa": taxa, "genera": [table.genus_of(t) for t in taxa], "temperature": round(temperature, 5),
        "analysis_side": m["analysis_side"], "crop": crop, "grid": grid, "top_k": op.get("top_k", 3),
        "arch": m["arch"], "members": members_of(net), "batch_size": 32, "gate": gate.to_dict(),
        "open_set": OpenSetRule("distance", {"distance": 0.0}, {"distance": 1e9}).to_dict(),  # chosen below
        "thresholds": {"species_probability": op["species_probability"], "genus_probability": op["genus_probability"],
                       "lookalike_probability": op["lookalike_probability"]},
    }
    mlflow_info = {"run_id": run_id, "experiment": cfg.name, "tracking_uri": mlflow.get_tracking_uri()}
    common = {"version": version, "mlflow": mlflow_info, "lineage": lineage, "crop": crop,
              "outputs": wrapper.output_names}
    write_manifest(staging, params=params, metrics={}, **common)
    val_rows = [r for r in read_index(Path(cfg.data["train_dir"])) if r["split"] == "val"]
    provisional = _classifier(staging)
    val_out = run_photos(provisional, Path(cfg.data["train_dir"]), val_rows, table=table)
    unknown_out = []
    if open_set_val_dir is not None:
        rows = [r for r in read_index(open_set_val_dir) if r["split"] == "open_set"]
        unknown_out = run_photos(provisional, open_set_val_dir, rows, table=table)
    known_out = list(val_out)  # thresholds: the validation photos, plus the calibration photos when the recipe has them
    if calibration_dir is not None:
        rows = [r for r in read_index(calibration_dir) if r["split"] == "test"]
        known_out += run_photos(provisional, calibration_dir, rows, table=table)
    floor = op.get("open_set_min_class_acceptance", MIN_CLASS_ACCEPTANCE)
    combinations = SCORE_COMBINATIONS + (ANATOMY_COMBINATIONS if wrapper.anatomy is not None else ())
    rule, selection = choose_open_set_rule(known_out, unknown_out, acceptance=op["open_set_quantile"], taxa=taxa,
                                           min_class_acceptance=floor, combinations=combinations,
                                           class_spread=op.get("open_set_class_spread", "iqr"),
                                           floored=bool(op.get("open_set_floored", False)))
    selection["threshold_photos"] = float(len(known_out))
    params["open_set"] = rule.to_dict()
    write_manifest(staging, params=params, metrics={}, **common)
    classifier = _classifier(staging)
    val_metrics = summarise(run_photos(classifier, Path(cfg.data["train_dir"]), val_rows, table=table),
                            classifier.params, table)
    test_rows = [r for r in read_index(test_dir) if r["split"] in ("test", "open_set", "ood")]
    test_out = run_photos(classifier, test_dir, test_rows, table=table)
    test_metrics = summarise(test_out, classifier.params, table)
    from smartinspect.wood.train.reports import write_reports  # confusion matrix, PR curves, open-set ROC

    served = classifier.params
    for image in write_reports(test_out, taxa, lambda o: served.open_set_value(o.scores(), o.probabilities),
                               run_dir / "reports"):
        mlflow.log_artifact(str(image), artifact_path="training")
    metrics = {"test": _rounded(test_metrics), "val": _rounded(val_metrics), "parity": _rounded(parity, 6),
               "open_set_selection": _rounded(selection)}
    write_manifest(staging, params=params, metrics=metrics, **common)
    from smartinspect.wood.train.card import write_wood_card

    write_wood_card(staging / "MODEL_CARD.md", cfg=cfg, config_path=config_path, params=params, metrics=metrics,
                    lineage=lineage, mlflow_info=mlflow_info, version=version)
    mlflow.log_metrics({f"test_{k}": v for k, v in test_metrics.items() if not math.isnan(v)})
    mlflow.log_metrics({f"val_{k}": v for k, v in val_metrics.items() if not math.isnan(v)})
    mlflow.log_metrics(selection)
    mlflow.log_params({"temperature": params["temperature"], **{f"open_set.{k}": v for k, v in
                                                                 params["open_set"].items() if k != "per_class"},
                       "open_set.per_class": bool(params["open_set"].get("per_class"))})
    import torch  # the eager network with its open-set head: for the ONNX-vs-eager benchmark; never served

    from smartinspect.wood.train.export import float16_state

    torch.save({"arch": m["arch"], "taxa": taxa, "knn_k": wrapper.k, "members": members_of(net),
                "wrapper_state_dict": float16_state(wrapper.state_dict())}, staging / "model.pt")
    # After model.pt: the registered package is what `promote` exports into models/, and the benchmark and the
    # parity test need the eager network there (a promotion from a package logged without it dropped it).
    mlflow.log_artifacts(str(staging), artifact_path="package")
    swap_into_place(staging, output)
    return output


def _rounded(values: dict[str, float], digits: int = 4) -> dict[str, float | None]:
    return {k: (None if math.isnan(v) else round(v, digits)) for k, v in values.items()}
