"""The anomaly model's one entry point: attenuation in, typed :class:`AnomalyResult` out."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from smartinspect.anomaly.memory import MemoryBank
from smartinspect.anomaly.preprocess import cargo_box, to_network_input
from smartinspect.anomaly.types import AnomalyPackageError, AnomalyResult, ScoreParams, ViewParams
from smartinspect.domain.tasks import ANOMALY_TASK
from smartinspect.runtime import LoadedModel, ModelSpec, file_sha256
from smartinspect.runtime.registry import MANIFEST_NAME, load_model


def smooth_patch_map(patch: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of a (h, w) patch-score map (sigma in cells; 0: unchanged)."""
    if sigma <= 0:
        return patch
    return cv2.GaussianBlur(patch, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)


def image_score(patch: np.ndarray, score: ScoreParams) -> float:
    """Mean of the ``top_k`` highest smoothed patch scores."""
    flat = smooth_patch_map(patch, score.smooth_sigma).ravel()
    k = min(score.top_k, flat.size)
    return float(np.partition(flat, flat.size - k)[flat.size - k:].mean())


def peak_region(smoothed: np.ndarray) -> tuple[tuple[int, int, int, int], float]:
    """Cells (x1, y1, x2, y2), exclusive ends, of the connected blob around the peak whose scores are above half
    way between the map's median and its peak; and the peak value."""
    peak_index = np.unravel_index(int(np.argmax(smoothed)), smoothed.shape)
    peak = float(smoothed[peak_index])
    level = 0.5 * (peak + float(np.median(smoothed)))
    mask = (smoothed >= level).astype(np.uint8)
    _, labels = cv2.connectedComponents(mask, connectivity=8)
    ys, xs = np.nonzero(labels == labels[peak_index])
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1), peak


class AnomalyScorer:
    """ONNX patch features -> nearest-neighbour distance to the site's normal memory bank -> score and heatmap."""

    def __init__(self, loaded: LoadedModel, bank: MemoryBank) -> None:
        params = loaded.spec.params
        if loaded.spec.task != ANOMALY_TASK:
            msg = f"model {loaded.spec.name} serves task {loaded.spec.task!r}, not {ANOMALY_TASK!r}"
            raise AnomalyPackageError(msg)
        self.loaded = loaded
        self.bank = bank
        self.view = ViewParams(**params["view"])
        self.score_params = ScoreParams(**params["score"])
        self.feature_stride = int(params["feature_stride"])

    @classmethod
    def from_loaded(cls, loaded: LoadedModel) -> AnomalyScorer:
        """A scorer for a model the registry loaded; reads and sha256-checks the memory bank beside it."""
        params = loaded.spec.params
        bank_path = loaded.spec.file.parent / params["bank_file"]
        if not bank_path.is_file():
            raise AnomalyPackageError(f"model {loaded.spec.name}: memory bank {bank_path} does not exist")
        if file_sha256(bank_path) != params["bank_sha256"]:
            raise AnomalyPackageError(f"model {loaded.spec.name}: {bank_path.name} does not match its sha256")
        return cls(loaded, MemoryBank.load(bank_path))

    @classmethod
    def from_package(cls, package: Path, *, providers: list[str] | None = None, intra_op_threads: int = 0
                     ) -> AnomalyScorer:
        """Load ``package/manifest.json`` (an anomaly package written by ``smartinspect anomaly fit``)."""
        manifest = Path(package) / MANIFEST_NAME
        if not manifest.is_file():
            raise AnomalyPackageError(f"{package}: no {MANIFEST_NAME}; not a model package")
        spec = ModelSpec.from_manifest(manifest)
        loaded = load_model(spec, providers=providers, intra_op_threads=intra_op_threads, warm_up=False)
        return cls.from_loaded(loaded)

    @property
    def threshold(self) -> float:
        return self.score_params.threshold

    def patch_scores(self, batch: np.ndarray) -> np.ndarray:
        """(1, 3, H, W) network input -> (H / s, W / s) float32 nearest-neighbour distances per patch."""
        features = self.loaded.model.run(batch)[0][0]  # (C, h, w)
        c, h, w = features.shape
        flat = np.ascontiguousarray(features.reshape(c, h * w).T)
        return self.bank.nearest_distance(flat).reshape(h, w)

    def score(self, attenuation: np.ndarray, *, pitch_mm: float | None = None,
              interior: tuple[int, int, int, int] | None = None) -> AnomalyResult:
        """(H, W) float attenuation -ln(I/I0) (smartinspect.xray.decode.to_attenuation) -> :class:`AnomalyResult`.

        ``pitch_mm``: the scan's pixel pitch when known (resampled to the fitted pitch); boxes are in input px.
        A ``crop="cargo"`` model scores the container interior only: ``interior`` when the caller has already found
        it (the scan pipeline's empty check), else found here.
        """
        timings: dict[str, float] = {}
        start = time.perf_counter()
        x0 = y0 = 0
        full_height, full_width = attenuation.shape
        if self.view.crop == "cargo":
            box = interior or cargo_box(attenuation, pitch_mm or self.view.fit_pitch_mm)
            if box is not None:
                x0, y0, x1, y1 = box
                attenuation = attenuation[y0:y1, x0:x1]
        batch, factor, (h, w) = to_network_input(attenuation, self.view, pitch_mm=pitch_mm)
        timings["preprocess_ms"] = _ms_since(start)
        start = time.perf_counter()
        s = self.feature_stride
        patch = self.patch_scores(batch)[: -(-h // s), : -(-w // s)]  # drop cells over the air padding only
        timings["score_ms"] = _ms_since(start)
        smoothed = smooth_patch_map(patch, self.score_params.smooth_sigma)
        value = image_score(patch, self.score_params)
        (cx1, cy1, cx2, cy2), peak = peak_region(smoothed)
        cell = s / factor  # input pixels per patch cell
        height, width = attenuation.shape
        region = (x0 + int(cx1 * cell), y0 + int(cy1 * cell), x0 + min(width, int(np.ceil(cx2 * cell))),
                  y0 + min(height, int(np.ceil(cy2 * cell))))
        threshold = self.threshold
        return AnomalyResult(
            score=value, anomalous=bool(value >= threshold), threshold=threshold,
            heatmap=(smoothed / threshold).astype(np.float32), heatmap_stride=cell, region=region,
            region_score=peak / threshold, timings_ms=timings, heatmap_origin=(x0, y0),
        )


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1e3, 2)
