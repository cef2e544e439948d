"""Calibration of scan-level scores: does a score of 0.8 mean "contraband 8 times in 10"? (numpy only)."""

from __future__ import annotations

import numpy as np


def _checked(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    if len(s) != len(y):
        raise ValueError(f"{len(s)} scores but {len(y)} labels")
    if len(s) and (s.min() < 0 or s.max() > 1):
        raise ValueError(f"scores must lie in [0, 1], got [{s.min():.4f}, {s.max():.4f}]")
    return s, y


def brier_score(scores, labels) -> float:
    """Mean squared error between scores in [0, 1] and 0/1 labels (lower is better; NaN when empty)."""
    s, y = _checked(scores, labels)
    return float(np.mean((s - y) ** 2)) if len(s) else float("nan")


def expected_calibration_error(scores, labels, *, bins: int = 10) -> float:
    """ECE with ``bins`` equal-width bins: sum over bins of |mean score - positive rate| weighted by bin share."""
    s, y = _checked(scores, labels)
    if not len(s):
        return float("nan")
    index = np.minimum((s * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(index):
        members = index == b
        total += members.mean() * abs(s[members].mean() - y[members].mean())
    return float(total)
