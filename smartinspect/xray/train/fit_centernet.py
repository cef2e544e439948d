"""Train the pretrained-backbone detector (xray/train/centernet.py) on the tiles that ``build_tile_dataset`` cut,
within a wall-clock budget, keeping the checkpoint that scores best on **full validation scans through the served
path** (ONNX export, tiling, merging, thresholds: smartinspect.xray.pipeline), not on tiles: the last YOLO retrain
showed that tile mAP does not predict full-scan accuracy. Training only (torch).
"""

from __future__ import annotations

import hashlib
import logging
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from smartinspect.xray.train.centernet import STRIDE, ExportWrapper, LiteCenterNet, build_targets, centernet_loss

log = logging.getLogger(__name__)


@dataclass
class TileSet:
    """Training tiles in the model's view: (N, T, T, 3) uint8 in to_model_input's channel order, and per tile
    its boxes (K, 4) xyxy in pixels and class ids (K,)."""

    images: np.ndarray
    boxes: list[np.ndarray]
    classes: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.images)


def load_tiles(tiles_dir: Path, split: str) -> TileSet:
    """Read ``tiles_dir/images/<split>/*.png`` and their YOLO labels (written for ultralytics: channels reversed)."""
    images, boxes, classes = [], [], []
    for path in sorted((tiles_dir / "images" / split).glob("*.png")):
        px = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        px = np.repeat(px[..., None], 3, axis=2) if px.ndim == 2 else px[..., ::-1]
        size = px.shape[0]
        lines = (tiles_dir / "labels" / split / f"{path.stem}.txt").read_text().split("\n")
        rows = np.array([[float(v) for v in line.split()] for line in lines if line.strip()], np.float32)
        rows = rows.reshape(-1, 5)
        cx, cy, w, h = (rows[:, 1:] * size).T
        images.append(np.ascontiguousarray(px))
        boxes.append(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1))
        classes.append(rows[:, 0].astype(np.int64))
    if not images:
        raise ValueError(f"no training tiles in {tiles_dir / 'images' / split}")
    return TileSet(np.stack(images), boxes, classes)


def make_batch(tiles: TileSet, index: np.ndarray, *, num_classes: int, rng: np.random.Generator,
               flip: bool) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Tiles ``index`` as a (B, 3, T, T) float batch in [0, 1] and their targets; random horizontal flips."""
    size = tiles.images.shape[1]
    out_size = size // STRIDE
    xs, targets = [], []
    for i in index:
        px, boxes = tiles.images[i], tiles.boxes[i].copy()
        if flip and rng.random() < 0.5:
            px = px[:, ::-1]
            boxes[:, [0, 2]] = size - boxes[:, [2, 0]]
        xs.append(px)
        targets.append(build_targets(boxes, tiles.classes[i], num_classes=num_classes, out_size=out_size))
    x = torch.from_numpy(np.stack(xs).astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    return x, {k: torch.from_numpy(np.stack([t[k] for t in targets])) for k in targets[0]}


def export_onnx(net: LiteCenterNet, path: Path, *, imgsz: int) -> Path:
    """The export wrapper with a dynamic batch axis (input ``images``, output ``detections``)."""
    wrapper = ExportWrapper(net).eval()
    dummy = torch.zeros(1, 3, imgsz, imgsz)
    with torch.no_grad():
        torch.onnx.export(wrapper, dummy, str(path), input_names=["images"], output_names=["detections"],
                          dynamic_axes={"images": {0: "batch"}, "detections": {0: "batch"}}, opset_version=17,
                          dynamo=False)
    return path


def _neighbourhood_max(maps: np.ndarray) -> np.ndarray:
    """(N, C, h, w) -> the maximum over each cell's 3x3 neighbourhood."""
    h, w = maps.shape[-2:]
    padded = np.pad(maps, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    return np.max([padded[:, :, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)], axis=0)


def check_parity(net: LiteCenterNet, onnx_path: Path, tiles: np.ndarray, *, min_score: float = 0.05) -> dict[str, float]:
    """PyTorch eager vs ONNX Runtime on the same (N, T, T, 3) uint8 tiles: max difference of scores and boxes.

    The graph's score output keeps only 3x3 local maxima, an exact test: on a plateau (a barely trained head sits
    at its 0.01 prior over every air cell) float rounding decides which cells survive, so the two peak maps are not
    compared cell by cell. Instead: every ONNX peak must carry the eager network's score at that cell, and every
    eager peak that serving would decode (>= ``min_score``) must have an ONNX peak of that score in its 3x3
    neighbourhood."""
    from smartinspect.runtime import OnnxModel
    from smartinspect.xray.preprocess import tiles_to_batch

    batch = tiles_to_batch(tiles)
    with torch.no_grad():
        x = torch.from_numpy(batch)
        eager = ExportWrapper(net).eval()(x).numpy()
        heat = torch.sigmoid(net.eval()(x)[0]).numpy()
    onnx_out = OnnxModel(onnx_path, providers=["CPUExecutionProvider"]).run(batch)[0]
    c = net.num_classes
    onnx_peaks, eager_peaks = onnx_out[:, :c], eager[:, :c]
    at_onnx_peaks = np.abs(onnx_peaks - heat)[onnx_peaks > 0]
    served = eager_peaks >= min_score
    at_eager_peaks = np.abs(_neighbourhood_max(onnx_peaks) - eager_peaks)[served]
    score_diff = max(float(at_onnx_peaks.max(initial=0.0)), float(at_eager_peaks.max(initial=0.0)))
    return {"parity_max_abs_score": score_diff,
            "parity_max_abs_box": float(np.abs(eager[:, c:] - onnx_out[:, c:]).max()),
            "parity_tiles": float(len(tiles))}


def tile_groups(tiles: TileSet) -> np.ndarray:
    """Each tile's group for balanced sampling: the rarest class it holds (by tiles holding it), or -1 if none."""
    counts: dict[int, int] = {}
    for cls in tiles.classes:
        for c in set(cls.tolist()):
            counts[c] = counts.get(c, 0) + 1
    return np.array([min(set(cls.tolist()), key=lambda c: (counts[c], c)) if len(cls) else -1
                     for cls in tiles.classes], np.int64)


def sampling_weights(groups: np.ndarray, balance: float) -> np.ndarray | None:
    """Per-tile draw probabilities from the tiles' ``tile_groups``: group g (a tile's rarest class, or no object)
    gets a share proportional to n_g ** (1 - balance), spread evenly over its tiles. 0 draws tiles uniformly
    (None); 1 gives every class and the empty tiles the same share, so the rare firearm tiles are drawn as often
    as the common cigarette ones."""
    if not balance:
        return None
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    share = counts.astype(np.float64) ** (1.0 - balance)
    weights = (share / share.sum() / counts)[inverse]
    return weights / weights.sum()


def _lr_at(fraction: float, step: int, *, lr: float, warmup_steps: int) -> float:
    """Linear warm-up, then cosine decay over the time budget (``fraction`` of it spent)."""
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    return lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0))))


def full_scan_score(net: LiteCenterNet, *, work: Path, params: dict[str, Any], imgsz: int, val_dir: Path,
                    val_scans: int, class_names: list[str]) -> dict[str, float]:
    """Export, then run the served pipeline on ``val_scans`` validation scans; the metrics of ``summarise``."""
    from smartinspect.runtime.registry import load_package
    from smartinspect.xray.evaluate import run_dataset, summarise
    from smartinspect.xray.pipeline import ScanAnalyzer
    from smartinspect.xray.train.package import write_manifest

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    net.eval()
    export_onnx(net, work / "model.onnx", imgsz=imgsz)
    write_manifest(work, name="xray-detector-val", version="val", params=params, metrics={}, mlflow={},
                   lineage={}, imgsz=imgsz)
    analyzer = ScanAnalyzer(load_package(work))
    evals = run_dataset(analyzer, val_dir, "val", limit=val_scans)
    return summarise(evals, class_names, review_threshold=params["review_threshold"],
                     inspect_threshold=params["inspect_threshold"])


def fit_centernet(model_cfg: dict[str, Any], *, tiles_dir: Path, val_dir: Path, run_dir: Path, params: dict[str, Any],
                  class_names: list[str], seed: int, mlflow) -> tuple[LiteCenterNet, Path]:
    """Train within ``model_cfg['time_minutes']``; returns the best network (full-scan val mAP50) and its file."""
    torch.manual_seed(seed)
    # importing ultralytics (the data tooling does) sets OMP_NUM_THREADS=1 for the process: ask for the cores back
    torch.set_num_threads(int(model_cfg.get("threads", 2)))
    rng = np.random.default_rng(seed)
    tiles = load_tiles(tiles_dir, "train")
    net = LiteCenterNet(len(class_names), width=int(model_cfg.get("width", 64)),
                        frozen_blocks=int(model_cfg.get("frozen_blocks", 3)))
    init = model_cfg.get("init_weights")
    if init:  # continue from a package's model.pt (same architecture, strict)
        net.load_state_dict(torch.load(Path(init), weights_only=True))
        mlflow.log_params({"init_weights_sha256": hashlib.sha256(Path(init).read_bytes()).hexdigest()})
    groups = tile_groups(tiles)
    probs = sampling_weights(groups, float(model_cfg.get("class_balance", 0.0)))
    if probs is not None:
        drawn = {(class_names[g] if g >= 0 else "empty"): float(probs[groups == g].sum()) for g in np.unique(groups)}
        log.info("tile draw shares by rarest class: %s", drawn)
        mlflow.log_params({f"draw_share_{k}": round(v, 4) for k, v in drawn.items()})
    trainable = [p for p in net.parameters() if p.requires_grad]
    lr, batch = float(model_cfg.get("lr", 1e-3)), int(model_cfg["batch"])
    optimizer = torch.optim.AdamW(trainable, lr=lr, weight_decay=float(model_cfg.get("weight_decay", 1e-4)))
    budget_s = float(model_cfg["time_minutes"]) * 60
    eval_every_s = float(model_cfg.get("eval_every_minutes", 10)) * 60
    max_steps = int(model_cfg.get("max_steps", 10**9))
    best_path, best_score, step = run_dir / "best.pt", -1.0, 0
    start = last_eval = time.time()
    if init:
        last_eval -= eval_every_s  # score the starting network first: the run never keeps a worse one
    log.info("training on %d tiles (%d trainable parameters), %.0f min budget", len(tiles),
             sum(p.numel() for p in trainable), budget_s / 60)
    while True:
        elapsed = time.time() - start
        done = elapsed >= budget_s or step >= max_steps
        if done or time.time() - last_eval >= eval_every_s:
            metrics = full_scan_score(net, work=run_dir / "val-package", params=params, imgsz=tiles.images.shape[1],
                                      val_dir=val_dir, val_scans=int(model_cfg.get("val_scans", 40)),
                                      class_names=class_names)
            score = float(np.nan_to_num(metrics.get("map50", 0.0)))
            mlflow.log_metrics({f"fullscan_val_{k}": v for k, v in metrics.items() if v == v}, step=step)
            log.info("step %d (%.0f s): full-scan val mAP50 %.3f", step, elapsed, score)
            if score > best_score:
                best_score = score
                torch.save(net.state_dict(), best_path)
            last_eval = time.time()
            net.train()
            if done:
                break
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(elapsed / budget_s, step, lr=lr, warmup_steps=int(model_cfg.get("warmup_steps", 100)))
        index = rng.choice(len(tiles), batch, p=probs) if probs is not None else rng.integers(0, len(tiles), batch)
        x, targets = make_batch(tiles, index, num_classes=len(class_names), rng=rng,
                                flip=bool(model_cfg.get("flip", True)))
        losses = centernet_loss(net(x), targets, size_weight=float(model_cfg.get("size_weight", 1.0)))
        optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        optimizer.step()
        if step % 20 == 0:
            mlflow.log_metrics({f"train_{k}": float(v.detach()) for k, v in losses.items()}, step=step)
        step += 1
    mlflow.log_metrics({"train_steps": float(step), "best_fullscan_val_map50": best_score})
    net.load_state_dict(torch.load(best_path, weights_only=True))
    return net.eval(), best_path
