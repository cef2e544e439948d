"""Calibration of scan-level scores: does a score of 0.8 mean "contraband 8 times in 10"? (numpy only)."""

from __future__ import annotations

import numpy as np

from smartinspect.lifecycle.gate import ResampledStatistic


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


def calibration_gaps(scores, labels, *, bins: int = 10) -> np.ndarray:
    """(items, bins): each item's score minus its label, in the column of its equal-width score bin (0 elsewhere).
    The ECE is the sum over bins of |column sum| / items, so it can also be computed on weighted resamples."""
    s, y = _checked(scores, labels)
    gaps = np.zeros((len(s), bins))
    gaps[np.arange(len(s)), np.minimum((s * bins).astype(int), bins - 1)] = s - y
    return gaps


def expected_calibration_error(scores, labels, *, bins: int = 10) -> float:
    """ECE with ``bins`` equal-width bins (Guo et al. 2017): sum over bins of |mean score - positive rate| weighted
    by bin share, which is sum over bins of |sum of (score - label)| / items."""
    gaps = calibration_gaps(scores, labels, bins=bins)
    return float(np.abs(gaps.sum(axis=0)).sum() / len(gaps)) if len(gaps) else float("nan")


def ece_statistic(scores, labels, *, bins: int = 10) -> ResampledStatistic:
    """The ECE as a statistic the promotion gate can recompute on paired bootstrap resamples of the items."""
    gaps = calibration_gaps(scores, labels, bins=bins)
    return ResampledStatistic(lambda w: np.abs(w @ gaps).sum(axis=1) / w.sum(axis=1), len(gaps))


def mean_statistic(values) -> ResampledStatistic:
    """The mean of per-item values (e.g. each photo's Brier score), recomputable on bootstrap resamples."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    return ResampledStatistic(lambda w: (w @ v) / w.sum(axis=1), len(v))


def fit_platt(scores, labels, *, iterations: int = 50) -> tuple[float, float] | None:
    """Platt scaling (Platt 1999) on the logit of scores in (0, 1): the (a, b) of sigmoid(a * logit(s) + b) that
    maximise the likelihood of the 0/1 labels, with Platt's smoothed targets ((N+ + 1) / (N+ + 2) and
    1 / (N- + 2)) so that separable data gives a finite fit. Newton's method on the two parameters.

    None when it cannot give a monotonic map: fewer than two items of either label, or a fitted slope <= 0."""
    s, y = _checked(scores, labels)
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives < 2 or negatives < 2:
        return None
    s = np.clip(s, 1e-6, 1 - 1e-6)
    x = np.log(s / (1 - s))
    t = np.where(y > 0, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(a * x + b, -60.0, 60.0)))  # saturated beyond: no overflow in a diverging step
        g = np.array([np.sum((p - t) * x), np.sum(p - t)])
        w = np.maximum(p * (1 - p), 1e-12)
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0:
        return None
    return float(a), float(b)
