"""Heatmap pictures: the scan in its linear window with the anomaly heatmap blended over it and the region boxed;
and the compact form a heatmap is stored in (a scan's result keeps it, so the overlay can be drawn later)."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np

from smartinspect.anomaly.types import AnomalyResult
from smartinspect.xray.preprocess import to_model_input

HEATMAP_ALPHA = 0.45
HEATMAP_FULL_SCALE = 2.0  # heatmap value (patch score / threshold) drawn as the hottest colour


def blend_heatmap(picture: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 BGR picture + (H, W) heat (patch score / threshold) -> blended picture. Cells below half
    the threshold leave the picture as it is; from there the colour fades in up to full strength at the threshold."""
    level = np.clip(heat / HEATMAP_FULL_SCALE, 0.0, 1.0)
    colour = cv2.applyColorMap(np.rint(level * 255).astype(np.uint8), cv2.COLORMAP_JET)
    alpha = (HEATMAP_ALPHA * np.clip((heat - 0.5) * 2.0, 0.0, 1.0))[:, :, None]
    return np.rint(picture * (1.0 - alpha) + colour * alpha).astype(np.uint8)


def render_heatmap(attenuation: np.ndarray, result: AnomalyResult, *, window: float) -> np.ndarray:
    """(H, W) attenuation + result -> (H, W, 3) uint8 BGR picture."""
    height, width = attenuation.shape
    grey = cv2.cvtColor(to_model_input(attenuation, window=window, mode="gray"), cv2.COLOR_GRAY2BGR)
    picture = blend_heatmap(grey, result.heatmap_image(width, height))
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


def encode_heatmap(heatmap: np.ndarray) -> str:
    """(h, w) heatmap (score / threshold) -> base64 of an 8-bit PNG, 0..255 over 0..HEATMAP_FULL_SCALE (a 40 ft
    scan's cargo space is a few kB)."""
    levels = np.rint(np.clip(heatmap / HEATMAP_FULL_SCALE, 0.0, 1.0) * 255).astype(np.uint8)
    ok, png = cv2.imencode(".png", levels)
    if not ok:
        raise RuntimeError("could not encode the heatmap as PNG")
    return base64.b64encode(png.tobytes()).decode("ascii")


def decode_heatmap(data: str) -> np.ndarray:
    """The inverse of :func:`encode_heatmap` (to within 1/255 of full scale): (h, w) float32."""
    levels = cv2.imdecode(np.frombuffer(base64.b64decode(data), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if levels is None:
        raise ValueError("not an encoded heatmap")
    return levels.astype(np.float32) * (HEATMAP_FULL_SCALE / 255.0)
