"""Train the container X-ray detector: generate data -> tiles -> YOLO from scratch -> ONNX -> parity -> evaluate.

Every step is tracked in one MLflow run; the result is a model package in ``output`` (ONNX + manifest + card).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.config import Settings, get_settings
from smartinspect.training.recipe import load_recipe, log_recipe
from smartinspect.training.tracking import configure_mlflow, configure_ultralytics
from smartinspect.xray.datagen.config import XrayGenConfig
from smartinspect.xray.dataset import dataset_fingerprint
from smartinspect.xray.train.package import CENTERNET_ARCH, evaluate_and_package, serving_params
from smartinspect.xray.train.tiles import build_tile_dataset

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class XrayTrainConfig:
    name: str
    seed: int
    data: dict[str, Any]
    tiles: dict[str, Any]
    model: dict[str, Any]
    augment: dict[str, Any]
    operating: dict[str, Any]
    output: str

    @classmethod
    def from_yaml(cls, path: Path) -> XrayTrainConfig:
        raw = load_recipe(path)  # with its ``extends`` chain resolved
        missing = [f for f in cls.__dataclass_fields__ if f not in raw]
        if missing:
            raise ValueError(f"{path}: training config lacks {missing}")
        return cls(**{f: raw[f] for f in cls.__dataclass_fields__})


def ensure_dataset(out_dir: Path, *, n_scans: int, seed: int, splits: tuple[float, float, float],
                   config: XrayGenConfig | None = None) -> Path:
    """Generate the dataset unless one with the same seed, size and generator settings is already there."""
    from smartinspect.xray.datagen import generate_dataset

    config = config or XrayGenConfig()
    meta = out_dir / "dataset.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if info.get("seed") == seed and info.get("n_scans") == n_scans and info.get("config") == config.to_dict():
            return out_dir
        shutil.rmtree(out_dir)
    generate_dataset(out_dir, n_scans=n_scans, seed=seed, config=config, splits=splits, workers=2, progress=True)
    return out_dir


def _epoch_logger(mlflow):
    def on_fit_epoch_end(trainer) -> None:
        metrics = {k.replace("(", "").replace(")", ""): float(v) for k, v in trainer.metrics.items()}
        losses = trainer.label_loss_items(trainer.tloss, prefix="train")
        metrics.update({k: float(v) for k, v in losses.items()})
        mlflow.log_metrics(metrics, step=trainer.epoch)

    return on_fit_epoch_end


def train_yolo(cfg: XrayTrainConfig, data_yaml: Path, run_dir: Path, mlflow) -> Path:
    """Train YOLO from its yaml; from scratch unless ``model.init_weights`` names our own weights. Returns best.pt."""
    from ultralytics import YOLO

    model = YOLO(cfg.model["arch"])
    model.add_callback("on_fit_epoch_end", _epoch_logger(mlflow))
    kwargs = dict(
        data=str(data_yaml), imgsz=cfg.model["imgsz"], epochs=cfg.model["epochs"], batch=cfg.model["batch"],
        workers=cfg.model["workers"], patience=cfg.model["patience"], device=cfg.model.get("device", "cpu"),
        pretrained=cfg.model.get("init_weights") or False,  # a .pt to fine-tune from (e.g. the champion's model.pt)
        seed=cfg.seed, deterministic=True, plots=True, project=str(run_dir.resolve()), name="yolo", exist_ok=True,
        amp=False, verbose=False, optimizer=cfg.model.get("optimizer", "auto"), lr0=cfg.model.get("lr0", 0.01),
        warmup_epochs=cfg.model.get("warmup_epochs", 3.0), **cfg.augment,
    )
    if cfg.model.get("time_hours"):
        kwargs["time"] = cfg.model["time_hours"]
    model.train(**kwargs)
    best = Path(model.trainer.best)
    return best if best.exists() else Path(model.trainer.last)


def export_onnx(weights: Path, *, imgsz: int) -> Path:
    """Export with a dynamic batch axis; ultralytics writes ``<weights>.onnx`` beside the weights."""
    from ultralytics import YOLO

    path = YOLO(str(weights)).export(format="onnx", imgsz=imgsz, dynamic=True, simplify=False, device="cpu")
    return Path(path)


def check_parity(weights: Path, onnx_path: Path, tiles: np.ndarray) -> dict[str, float]:
    """Raw head outputs of PyTorch eager vs ONNX Runtime on the same tiles (N, T, T) uint8."""
    import torch
    from ultralytics import YOLO

    from smartinspect.runtime import OnnxModel
    from smartinspect.xray.preprocess import tiles_to_batch

    batch = tiles_to_batch(tiles)
    net = YOLO(str(weights)).model.float().eval()
    with torch.no_grad():
        torch_out = net(torch.from_numpy(batch))
    torch_out = (torch_out[0] if isinstance(torch_out, (list, tuple)) else torch_out).numpy()
    onnx_out = OnnxModel(onnx_path, providers=["CPUExecutionProvider"]).run(batch)[0]
    return {
        "parity_max_abs_box": float(np.abs(torch_out[:, :4] - onnx_out[:, :4]).max()),
        "parity_max_abs_score": float(np.abs(torch_out[:, 4:] - onnx_out[:, 4:]).max()),
        "parity_tiles": float(len(tiles)),
    }


def train_xray(config_path: Path, *, settings: Settings | None = None) -> Path:
    """The whole pipeline; returns the model package directory."""
    settings = settings or get_settings()
    cfg = XrayTrainConfig.from_yaml(config_path)
    configure_ultralytics(settings)
    mlflow = configure_mlflow(settings, cfg.name)
    from smartinspect.xray.datagen import CLASS_NAMES

    data = cfg.data
    train_dir = ensure_dataset(Path(data["train_dir"]), n_scans=data["train_scans"], seed=data["train_seed"],
                               splits=(0.85, 0.15, 0.0), config=XrayGenConfig.with_overrides(data.get("generator")))
    test_dir = ensure_dataset(Path(data["test_dir"]), n_scans=data["test_scans"], seed=data["test_seed"],
                              splits=(0.0, 0.0, 1.0))
    calibration = (train_dir, "val")  # older recipes: the validation split of the training mix
    if data.get("calibration_dir"):  # a default-mix set with its own seed (package.evaluate_and_package)
        calibration = (ensure_dataset(Path(data["calibration_dir"]), n_scans=data["calibration_scans"],
                                      seed=data["calibration_seed"], splits=(0.0, 1.0, 0.0)), "val")
    run_dir = settings.data_dir / "runs" / cfg.name / time.strftime("%Y%m%d-%H%M%S")
    with mlflow.start_run(run_name=run_dir.name) as run:
        mlflow.log_params({"config": str(config_path), "seed": cfg.seed, **_flat("model", cfg.model),
                           **_flat("tiles", cfg.tiles), **_flat("data", data)})
        log_recipe(mlflow, config_path)
        lineage = {"train_dataset_sha256": dataset_fingerprint(train_dir),
                   "test_dataset_sha256": dataset_fingerprint(test_dir),
                   "train_generator_seed": data["train_seed"], "test_generator_seed": data["test_seed"]}
        if data.get("calibration_dir"):
            lineage.update(calibration_dataset_sha256=dataset_fingerprint(calibration[0]),
                           calibration_generator_seed=data["calibration_seed"])
        mlflow.log_params(lineage)
        t = cfg.tiles
        data_yaml = build_tile_dataset(
            train_dir, run_dir / "tiles", class_names=list(CLASS_NAMES), tile=t["tile"], overlap=t["overlap"],
            window=cfg.operating["window"], input_mode=cfg.operating.get("input_mode", "gray"),
            negatives_per_positive=t["negatives_per_positive"],
            min_visible=t["min_visible_fraction"], min_piece_px=t["min_piece_px"], seed=cfg.seed,
        )
        mlflow.log_artifact(str(data_yaml.parent / "tiles.json"))
        start = time.time()
        sample = _sample_tiles(data_yaml.parent / "images" / "val", n=8,
                               channels=3 if cfg.operating.get("input_mode", "gray") != "gray" else 1)
        if cfg.model["arch"] == CENTERNET_ARCH:
            best, onnx_path, parity = _train_centernet(cfg, data_yaml.parent, train_dir, run_dir, mlflow, sample)
        else:
            best = train_yolo(cfg, data_yaml, run_dir, mlflow)
            for plot in sorted(best.parent.parent.glob("*")):  # PR/F1 curves, confusion matrix, results.csv
                if plot.suffix in {".png", ".jpg", ".csv"}:
                    mlflow.log_artifact(str(plot), artifact_path="training")
            onnx_path = export_onnx(best, imgsz=cfg.model["imgsz"])
            parity = check_parity(best, onnx_path, sample)
        mlflow.log_metric("train_seconds", time.time() - start)
        mlflow.log_metrics(parity)

        package = evaluate_and_package(
            cfg=cfg, config_path=config_path, onnx_path=onnx_path, weights=best, calibration=calibration,
            test_dir=test_dir, parity=parity, lineage=lineage, run_id=run.info.run_id, mlflow=mlflow,
            class_names=list(CLASS_NAMES),
        )
    from smartinspect.lifecycle.runs import finish_training_run  # example overlays; registered as challenger
    from smartinspect.xray.kind import XRAY

    finish_training_run(package, settings=settings, kind=XRAY)
    return package


def _train_centernet(cfg: XrayTrainConfig, tiles_dir: Path, train_dir: Path, run_dir: Path, mlflow,
                     sample: np.ndarray) -> tuple[Path, Path, dict[str, float]]:
    """The pretrained-backbone detector: fit (checkpoint chosen on full validation scans), export, parity."""
    from smartinspect.xray.datagen import CLASS_NAMES
    from smartinspect.xray.train.fit_centernet import check_parity as centernet_parity
    from smartinspect.xray.train.fit_centernet import export_onnx as export_centernet
    from smartinspect.xray.train.fit_centernet import fit_centernet

    net, best = fit_centernet(cfg.model, tiles_dir=tiles_dir, val_dir=train_dir, run_dir=run_dir,
                              params=serving_params(cfg, list(CLASS_NAMES)), class_names=list(CLASS_NAMES),
                              seed=cfg.seed, mlflow=mlflow)
    onnx_path = export_centernet(net, run_dir / "model.onnx", imgsz=cfg.model["imgsz"])
    tiles = sample if sample.ndim == 4 else np.repeat(sample[..., None], 3, axis=3)
    return best, onnx_path, centernet_parity(net, onnx_path, tiles)


def _flat(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in values.items()}


def _sample_tiles(folder: Path, *, n: int, channels: int = 1) -> np.ndarray:
    """(n, T, T) gray or (n, T, T, 3) tiles in the model's channel order (tiles are stored reversed)."""
    import cv2

    paths = sorted(folder.glob("*.png"))[:n]
    if not paths:
        raise FileNotFoundError(f"no tiles in {folder} to check ONNX parity on")
    if channels == 1:
        return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths])
    return np.stack([cv2.imread(str(p), cv2.IMREAD_COLOR)[..., ::-1] for p in paths])
