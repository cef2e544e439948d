"""Fit a site-normal anomaly model on a folder of normal scans: features, memory bank, calibrated threshold."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from smartinspect.anomaly.evaluate import image_files
from smartinspect.anomaly.memory import MemoryBank
from smartinspect.anomaly.preprocess import cargo_box, read_attenuation, to_network_input
from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.anomaly.train.coreset import greedy_coreset
from smartinspect.anomaly.types import AnomalyInputError, ViewParams
from smartinspect.runtime import OnnxModel

log = logging.getLogger(__name__)
MIN_IMAGES = 4  # at least 3 to fit and 1 to calibrate on
MAX_WINDOW = 8.0  # the detector's window: ~33 cm of steel, near the 16-bit noise floor
WINDOW_PERCENTILE = 99.5


@dataclass(frozen=True)
class FitConfig:
    """Settings of ``smartinspect anomaly fit`` (recorded in the manifest and the MLflow run)."""

    stages: tuple[str, ...] = ("s8", "s16")
    neighbourhood: int = 3
    scale: float = 0.5
    window: float | None = None  # None: the 99.5th percentile of the fit images' attenuation, at most 8
    input_mode: str = "multiwindow"
    fit_pitch_mm: float | None = None
    per_image: int = 400  # greedy coreset per image (candidates for the bank)
    bank_size: int = 10000
    pca_dims: int = 64  # the bank is kept in the top principal components of the candidates (0: all dims)
    calibration_fraction: float = 0.2
    false_alarm_rate: float = 0.05
    top_k: int = 5
    smooth_sigma: float = 1.0
    seed: int = 0
    site: str = "default"  # the scanner site whose normal traffic this is (the pipeline picks a model by site)
    crop: str = "none"  # "cargo": fit and score the container interior only (needs fit_pitch_mm)
    # An X-ray detector package whose fine-tuned backbone gives the features instead of ImageNet's weights (its
    # input windows replace input_mode); None: ImageNet. docs/anomaly.md, session 15.
    features_from: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError(f"calibration_fraction must be in (0, 1), got {self.calibration_fraction}")
        if not 0.0 < self.false_alarm_rate < 0.5:
            raise ValueError(f"false_alarm_rate must be in (0, 0.5), got {self.false_alarm_rate}")
        if self.crop == "cargo" and self.fit_pitch_mm is None:
            raise ValueError("crop 'cargo' finds the container by its size in mm: give the images' pitch (--pitch-mm)")
        if self.per_image < 1 or self.bank_size < 1 or self.pca_dims < 0:
            raise ValueError("per_image and bank_size must be >= 1 and pca_dims >= 0")

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class FitResult:
    """What fitting produced, before packaging."""

    bank: MemoryBank
    view: ViewParams
    fit_images: list[Path]
    calibration_images: list[Path]
    calibration_scores: list[float] = field(default_factory=list)
    threshold: float = float("inf")
    seconds: dict[str, float] = field(default_factory=dict)


def split_images(paths: list[Path], fraction: float, seed: int) -> tuple[list[Path], list[Path]]:
    """(fit, calibration): a seeded random ``fraction`` of the images is held out for the threshold."""
    if len(paths) < MIN_IMAGES:
        msg = f"need at least {MIN_IMAGES} normal images to fit and calibrate, found {len(paths)}"
        raise AnomalyInputError("too_few_images", msg)
    n_cal = min(len(paths) - 3, max(1, round(fraction * len(paths))))
    order = np.random.default_rng([seed, 7]).permutation(len(paths))
    cal = sorted(int(i) for i in order[:n_cal])
    fit = sorted(int(i) for i in order[n_cal:])
    return [paths[i] for i in fit], [paths[i] for i in cal]


def choose_window(paths: list[Path], window: float | None) -> float:
    """The attenuation shown as black: given, or the 99.5th percentile of the images' (8-bit exports: ~5)."""
    if window is not None:
        return float(window)
    samples = [read_attenuation(p)[::4, ::4].ravel() for p in paths[:32]]
    return float(np.clip(np.percentile(np.concatenate(samples), WINDOW_PERCENTILE), 1.0, MAX_WINDOW))


def patch_features(model: OnnxModel, path: Path, view: ViewParams, stride: int) -> np.ndarray:
    """(N, C) features of the patches of one image (padding cells dropped; a ``crop="cargo"`` view: of its
    container interior, as the scorer does)."""
    attenuation = read_attenuation(path)
    if view.crop == "cargo" and (box := cargo_box(attenuation, view.fit_pitch_mm)) is not None:
        attenuation = attenuation[box[1]:box[3], box[0]:box[2]]
    batch, _, (h, w) = to_network_input(attenuation, view)
    maps = model.run(batch)[0][0]
    maps = maps[:, : -(-h // stride), : -(-w // stride)]
    return np.ascontiguousarray(maps.reshape(maps.shape[0], -1).T)


def build_bank(candidates: np.ndarray, cfg: FitConfig) -> MemoryBank:
    """PCA of the candidates (dims ``pca_dims``), then a greedy coreset of ``bank_size`` entries."""
    dims = candidates.shape[1]
    mean = candidates.mean(axis=0).astype(np.float32)
    if 0 < cfg.pca_dims < dims:
        rows = candidates[:: max(1, len(candidates) // 50000)] - mean
        _, _, vt = np.linalg.svd(rows, full_matrices=False)
        projection = np.ascontiguousarray(vt[: cfg.pca_dims].T, dtype=np.float32)
    else:
        projection = np.eye(dims, dtype=np.float32)
    projected = (candidates - mean) @ projection
    chosen = greedy_coreset(projected, cfg.bank_size, seed=cfg.seed + 1)
    bank = projected[chosen].astype(np.float16).astype(np.float32)  # as stored in the package
    return MemoryBank(bank=bank, mean=mean, projection=projection)


def fit_memory_bank(onnx_path: Path, images: list[Path], view: ViewParams, stride: int, cfg: FitConfig
                    ) -> tuple[MemoryBank, dict[str, float]]:
    """Features of every fit image through the exported ONNX graph (what serving runs), per-image coresets,
    then the bank. Returns the bank and timings."""
    model = OnnxModel(onnx_path, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    parts = []
    for i, path in enumerate(images):
        features = patch_features(model, path, view, stride)
        parts.append(features[greedy_coreset(features, cfg.per_image, seed=cfg.seed + i)])
        if (i + 1) % 50 == 0:
            log.info("features: %d/%d images", i + 1, len(images))
    candidates = np.concatenate(parts)
    features_s = time.perf_counter() - start
    bank = build_bank(candidates, cfg)
    log.info("memory bank: %d of %d candidates, %d dims", len(bank.bank), len(candidates), bank.bank.shape[1])
    return bank, {"features_s": features_s, "bank_s": time.perf_counter() - start - features_s,
                  "candidates": float(len(candidates))}


def calibrate_threshold(scorer: AnomalyScorer, images: list[Path], false_alarm_rate: float
                        ) -> tuple[float, list[float]]:
    """Threshold at ``false_alarm_rate`` of the held-out normal images: the score that at most that share of them
    exceeds (the higher order statistic, so a small calibration set errs towards fewer false alarms)."""
    scores = [scorer.score(read_attenuation(p)).score for p in images]
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(false_alarm_rate * len(ordered)))
    return float(ordered[min(allowed, len(ordered) - 1)]) * (1.0 + 1e-6), scores


def list_normal_images(folder: Path) -> list[Path]:
    paths = image_files(folder)
    if not paths:
        raise AnomalyInputError("no_images", f"no PNG/TIFF/JPEG images in {folder}")
    return paths
