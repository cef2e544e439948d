"""Heatmap pictures: the scan in its linear window with the anomaly heatmap blended over it and the region boxed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from smartinspect.anomaly.types import AnomalyResult
from smartinspect.xray.preprocess import to_model_input

HEATMAP_ALPHA = 0.45
HEATMAP_FULL_SCALE = 2.0  # heatmap value (patch score / threshold) drawn as the hottest colour


def render_heatmap(attenuation: np.ndarray, result: AnomalyResult, *, window: float) -> np.ndarray:
    """(H, W) attenuation + result -> (H, W, 3) uint8 BGR picture. Cells below half the threshold stay grey."""
    height, width = attenuation.shape
    grey = cv2.cvtColor(to_model_input(attenuation, window=window, mode="gray"), cv2.COLOR_GRAY2BGR)
    heat = result.heatmap_image(width, height)
    level = np.clip(heat / HEATMAP_FULL_SCALE, 0.0, 1.0)
    colour = cv2.applyColorMap(np.rint(level * 255).astype(np.uint8), cv2.COLORMAP_JET)
    alpha = (HEATMAP_ALPHA * np.clip((heat - 0.5) * 2.0, 0.0, 1.0))[:, :, None]
    picture = np.rint(grey * (1.0 - alpha) + colour * alpha).astype(np.uint8)
    x1, y1, x2, y2 = result.region
    box_colour = (0, 0, 255) if result.anomalous else (0, 200, 255)
    thickness = max(1, round(min(height, width) / 300))
    cv2.rectangle(picture, (x1, y1), (max(x1, x2 - 1), max(y1, y2 - 1)), box_colour, thickness)
    return picture


def write_heatmap(path: Path, attenuation: np.ndarray, result: AnomalyResult, *, window: float) -> Path:
    """Write the heatmap picture as PNG; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), render_heatmap(attenuation, result, window=window)):
        raise OSError(f"could not write {path}")
    return path
