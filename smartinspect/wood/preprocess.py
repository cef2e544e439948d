"""The model's view of a photo, shared by training and serving so the model never sees data prepared otherwise.

A photo -> the analysis view: its centre square resized (area-averaged) to ``analysis_side`` px (256: the whole
loupe field, about 17-23 µm/px) -> a 2 x 2 grid of ``crop`` px crops (128: about 2-3 mm of wood each). The model
scores each crop; a photo's score is the mean over its crops. Training draws random crops of the same view.
"""

from __future__ import annotations

import cv2
import numpy as np

ANALYSIS_SIDE = 256
CROP = 128
GRID = 2


def analysis_view(rgb: np.ndarray, side: int = ANALYSIS_SIDE) -> np.ndarray:
    """(h, w, 3) uint8 RGB -> (side, side, 3) uint8: the centre square, area-resized."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (h, w, 3) RGB image, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    s = min(h, w)
    y0, x0 = (h - s) // 2, (w - s) // 2
    square = rgb[y0:y0 + s, x0:x0 + s]
    interp = cv2.INTER_AREA if s > side else cv2.INTER_LINEAR
    return cv2.resize(square, (side, side), interpolation=interp)


def grid_crops(view: np.ndarray, crop: int = CROP, grid: int = GRID) -> np.ndarray:
    """(side, side, 3) -> (grid * grid, crop, crop, 3): a grid of crops covering the view's centre.

    When ``grid`` crops fit side by side they are adjacent and centred; more crops than fit are spread evenly
    from edge to edge of the view, overlapping (a denser sample of the same photo).
    """
    side = view.shape[0]
    if crop > side or grid < 1:
        raise ValueError(f"{grid}x{grid} crops of {crop} px do not fit a {side} px view")
    if crop * grid <= side:
        offset = (side - crop * grid) // 2
        starts = [offset + i * crop for i in range(grid)]
    else:
        starts = [round(i * (side - crop) / (grid - 1)) for i in range(grid)]
    return np.stack([view[y:y + crop, x:x + crop] for y in starts for x in starts])


def to_batch(crops: np.ndarray) -> np.ndarray:
    """(n, crop, crop, 3) uint8 RGB -> (n, 3, crop, crop) float32 0-255 (the model normalises internally)."""
    return np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)


def blank_score(view: np.ndarray) -> float:
    """Standard deviation of the luminance (0-255): near 0 for a blank, flat or covered-lens frame."""
    gray = cv2.cvtColor(view, cv2.COLOR_RGB2GRAY)
    return float(gray.std())
