"""Operator overlay: the scan in a display window, material colours from dual energy, the anomaly heatmap over the
cargo space, and detection boxes."""

from __future__ import annotations

import cv2
import numpy as np

from smartinspect.anomaly.overlay import blend_heatmap, decode_heatmap
from smartinspect.xray.preprocess import to_model_input
from smartinspect.xray.types import Detections

# Dual-energy ratio R = A_low / A_high at linac energies falls with atomic number (pair production grows with Z
# at the higher energy): organic ~1.44, light inorganic 1.33-1.37, iron and heavier 0.96-1.24 (NIST XCOM at 6/3 MeV,
# see docs/datagen-xray.md). Boundaries 1.40 and 1.22. BGR colours follow
# the usual scanner convention: organic orange, inorganic green, metal blue.
MATERIAL_BGR = {"organic": (0, 140, 255), "inorganic": (60, 200, 60), "metal": (255, 120, 40)}
ANOMALY_BGR = (0, 80, 255)  # orange-red: not a class colour
CLASS_BGR = [(0, 0, 255), (255, 0, 255), (0, 215, 255), (255, 255, 0), (0, 255, 0)]


def classify_materials(att_high: np.ndarray, att_low: np.ndarray, *, organic_min: float, metal_max: float,
                       min_attenuation: float = 0.3) -> np.ndarray:
    """(H, W) uint8 labels: 0 nothing/air, 1 organic, 2 inorganic, 3 metal."""
    ratio = att_low / np.maximum(att_high, 1e-3)
    labels = np.full(att_high.shape, 2, dtype=np.uint8)
    labels[ratio >= organic_min] = 1
    labels[ratio < metal_max] = 3
    labels[att_high < min_attenuation] = 0
    return labels


def render_overlay(
    att_high: np.ndarray,
    detections: Detections,
    class_names: list[str],
    *,
    att_low: np.ndarray | None = None,
    window: float = 8.0,
    organic_min: float = 1.40,
    metal_max: float = 1.22,
    interior_box: tuple[int, int, int, int] | None = None,
    anomaly: dict | None = None,
) -> bytes:
    """PNG bytes of a BGR overlay the size of the scan. ``anomaly``: a stored result's ``anomaly`` object
    (:class:`smartinspect.xray.types.AnomalyCheck` as JSON): its heatmap is blended in, its region boxed."""
    gray = to_model_input(att_high, window=window)
    canvas = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR).astype(np.float32)
    if att_low is not None and att_low.shape == att_high.shape:
        labels = classify_materials(att_high, att_low, organic_min=organic_min, metal_max=metal_max)
        tint = np.zeros_like(canvas)
        for value, name in enumerate(("organic", "inorganic", "metal"), start=1):
            tint[labels == value] = MATERIAL_BGR[name]
        coloured = labels > 0
        shade = (gray.astype(np.float32) / 255.0)[..., None]
        canvas[coloured] = (tint * (0.35 + 0.65 * shade))[coloured]
    canvas = canvas.clip(0, 255).astype(np.uint8)
    if anomaly:
        canvas = _draw_anomaly(canvas, anomaly)
    if interior_box is not None:
        x1, y1, x2, y2 = interior_box
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (200, 200, 200), 1, cv2.LINE_AA)
    for box, score, cls in zip(detections.boxes, detections.scores, detections.class_ids, strict=True):
        colour = CLASS_BGR[int(cls) % len(CLASS_BGR)]
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, 2, cv2.LINE_AA)
        label = f"{class_names[int(cls)]} {score:.2f}"
        cv2.putText(canvas, label, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1, cv2.LINE_AA)
    ok, png = cv2.imencode(".png", canvas)
    if not ok:
        raise RuntimeError("could not encode the overlay as PNG")
    return png.tobytes()


def _draw_anomaly(canvas: np.ndarray, anomaly: dict) -> np.ndarray:
    """Blend the stored heatmap into the part of the scan it covers, and box the region when it is anomalous."""
    heat = decode_heatmap(anomaly["heatmap"]["png_base64"])
    ox, oy = anomaly["heatmap"]["origin"]
    stride = float(anomaly["heatmap"]["stride"])
    height, width = canvas.shape[:2]
    x0, y0 = int(round(ox)), int(round(oy))
    x1 = min(width, int(round(ox + heat.shape[1] * stride)))
    y1 = min(height, int(round(oy + heat.shape[0] * stride)))
    if x1 > x0 and y1 > y0:
        full = (int(round(heat.shape[1] * stride)), int(round(heat.shape[0] * stride)))
        heat_px = cv2.resize(heat, full, interpolation=cv2.INTER_LINEAR)[: y1 - y0, : x1 - x0]
        canvas[y0:y1, x0:x1] = blend_heatmap(canvas[y0:y1, x0:x1], heat_px)
    if anomaly.get("anomalous"):
        rx1, ry1, rx2, ry2 = (int(v) for v in anomaly["region"])
        cv2.rectangle(canvas, (rx1, ry1), (max(rx1, rx2 - 1), max(ry1, ry2 - 1)), ANOMALY_BGR, 2, cv2.LINE_AA)
        label = f"anomaly {anomaly['score'] / anomaly['threshold']:.2f}x"
        cv2.putText(canvas, label, (rx1, min(height - 4, ry2 + 14)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, ANOMALY_BGR, 1,
                    cv2.LINE_AA)
    return canvas
