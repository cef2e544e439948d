"""Scoring speed of an anomaly package on synthetic-cargo-like images of a given size."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from smartinspect.anomaly.scorer import AnomalyScorer


def bench_scoring(model: Path, *, size: int = 512, runs: int = 10, threads: int = 0) -> dict[str, float]:
    """Median and mean seconds of ``AnomalyScorer.score`` on ``size`` x ``size`` attenuation maps (smooth random
    blocks, the model's full path: windows, ONNX features, k-NN, region)."""
    scorer = AnomalyScorer.from_package(model, intra_op_threads=threads)
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0.0, 6.0, size=(max(2, size // 32), max(2, size // 32))).astype(np.float32)
    import cv2

    attenuation = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_NEAREST)
    attenuation += rng.normal(0.0, 0.02, attenuation.shape).astype(np.float32)
    scorer.score(attenuation)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        scorer.score(attenuation)
        seconds.append(time.perf_counter() - start)
    return {"size": size, "runs": runs, "threads": threads, "cpu_count": os.cpu_count() or 0,
            "seconds_median": round(float(np.median(seconds)), 4), "seconds_mean": round(float(np.mean(seconds)), 4),
            "bank_entries": len(scorer.bank.bank), "bank_dims": int(scorer.bank.bank.shape[1])}
