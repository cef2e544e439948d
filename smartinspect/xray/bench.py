"""``smartinspect bench xray``: our tiled ONNX Runtime pipeline vs ultralytics + SAHI slicing.

Same full-size 40 ft scans, same weights (the shipped package's ONNX export and the .pt it came from), same tile
size and overlap, same confidence threshold. Both start from the decoded 16-bit scan and include preprocessing.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np

from smartinspect.config import get_settings
from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.runtime import ModelRegistry
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.evaluate import ScanEval, recall_at
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.preprocess import to_model_input
from smartinspect.xray.types import Detections

THREATS = (["firearm"], ["drugs"], ["cigarettes"], ["concealment"], ["firearm", "drugs"])


def make_scans(n_scans: int, seed: int) -> list:
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    rng = np.random.default_rng(seed)
    return [generate_scan(rng, XrayGenConfig(), container="40ft", force_empty=False,
                          force_threats=THREATS[i % len(THREATS)]) for i in range(n_scans)]


def _sahi_model(weights: Path, threshold: float):
    from sahi import AutoDetectionModel

    return AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=str(weights),
                                              confidence_threshold=threshold, device="cpu")


def _sahi_predict(model, scan_high: np.ndarray, *, window: float, mode: str, tile: int, overlap: int,
                  ) -> Detections:
    import cv2
    from sahi.predict import get_sliced_prediction

    # SAHI takes RGB and hands ultralytics BGR, which flips it back: the model sees our channel order.
    view = to_model_input(to_attenuation(scan_high), window=window, mode=mode)
    if view.ndim == 2:
        view = cv2.cvtColor(view, cv2.COLOR_GRAY2RGB)
    ratio = overlap / tile
    result = get_sliced_prediction(view, model, slice_height=tile, slice_width=tile, overlap_height_ratio=ratio,
                                   overlap_width_ratio=ratio, verbose=0)
    preds = result.object_prediction_list
    return Detections(
        np.array([p.bbox.to_xyxy() for p in preds], dtype=np.float32).reshape(-1, 4),
        np.array([p.score.value for p in preds], dtype=np.float32),
        np.array([p.category.id for p in preds], dtype=np.int64),
    )


def _timed(fn, scans) -> tuple[list[Detections], float]:
    fn(scans[0])  # warm-up, not timed
    start = time.perf_counter()
    out = [fn(s) for s in scans]
    return out, time.perf_counter() - start


def run_xray_benchmark(*, n_scans: int = 10, seed: int = 4242) -> dict:
    settings = get_settings()
    registry = ModelRegistry.from_settings(settings)
    loaded = registry.by_task(XRAY_TASK)
    weights = loaded.spec.file.with_name("model.pt")
    if not weights.exists():
        raise FileNotFoundError(f"{weights} is missing: the benchmark needs the PyTorch weights beside the ONNX file")
    analyzer = ScanAnalyzer(loaded)
    p = analyzer.detector.params
    scans = make_scans(n_scans, seed)
    pitch = scans[0].manifest["pitch_mm"]
    ours, ours_s = _timed(lambda s: analyzer.analyse(s.high, pitch_mm=pitch).detections, scans)
    sahi_model = _sahi_model(weights, p.min_score)
    sahi, sahi_s = _timed(lambda s: _sahi_predict(sahi_model, s.high, window=p.window, mode=p.input_mode,
                                                  tile=p.tile, overlap=p.overlap), scans)

    def recall(dets: list[Detections]) -> dict[str, float]:
        evals = [ScanEval(f"bench-{i}", [(c, list(b)) for c, *b in s.boxes], d, False, False, False, True, 0.0)
                 for i, (s, d) in enumerate(zip(scans, dets, strict=True))]
        thresholds = {"inspect": p.inspect_threshold, "review": p.review_threshold, "0.25": 0.25}
        return {name: round(recall_at(evals, t), 4) for name, t in thresholds.items()}

    import onnxruntime
    import sahi as sahi_pkg
    import ultralytics

    return {
        "scans": n_scans,
        "scan_size": list(scans[0].high.shape[::-1]),
        "tile": p.tile, "overlap": p.overlap,
        "thresholds": {"inspect": p.inspect_threshold, "review": p.review_threshold},
        "ours_onnxruntime": {"seconds_per_scan": round(ours_s / n_scans, 4), "scans_per_s": round(n_scans / ours_s, 3),
                             "recall": recall(ours), "providers": loaded.model.providers},
        "baseline_ultralytics_sahi": {"seconds_per_scan": round(sahi_s / n_scans, 4),
                                      "scans_per_s": round(n_scans / sahi_s, 3), "recall": recall(sahi)},
        "speedup": round(sahi_s / ours_s, 2),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "onnxruntime": onnxruntime.__version__,
                    "ultralytics": ultralytics.__version__, "sahi": sahi_pkg.__version__},
        "model": {"name": loaded.spec.name, "version": loaded.spec.version, "sha256": loaded.spec.sha256},
    }
