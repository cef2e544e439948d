"""Operator overlay: the scan in a display window, material colours from dual energy, and detection boxes."""

from __future__ import annotations

import cv2
import numpy as np

from smartinspect.xray.preprocess import to_model_input
from smartinspect.xray.types import Detections

# Dual-energy ratio R = A_low / A_high at linac energies falls with atomic number (pair production grows with Z
# at the higher energy): organic ~1.44, light inorganic 1.33-1.37, iron and heavier 0.96-1.24 (NIST XCOM at 6/3 MeV,
# see docs/datagen-xray.md). Boundaries 1.40 and 1.22. BGR colours follow
# the usual scanner convention: organic orange, inorganic green, metal blue.
MATERIAL_BGR = {"organic": (0, 140, 255), "inorganic": (60, 200, 60), "metal": (255, 120, 40)}
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
) -> bytes:
    """PNG bytes of a BGR overlay the size of the scan."""
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
