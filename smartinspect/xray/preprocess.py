"""The model's view of a scan. Training tiles and served tiles go through these same functions."""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_WINDOW = 8.0  # attenuation mapped to black: ~33 cm of steel at 6 MeV, near the 16-bit noise floor


def resample_to_pitch(image: np.ndarray, *, pitch_mm: float, model_pitch_mm: float) -> tuple[np.ndarray, float]:
    """Resize so one pixel covers ``model_pitch_mm``. Returns the image and the factor (model px per input px)."""
    factor = pitch_mm / model_pitch_mm
    if abs(factor - 1.0) < 0.02:
        return image, 1.0
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation), factor


def to_model_input(attenuation: np.ndarray, *, window: float = DEFAULT_WINDOW) -> np.ndarray:
    """(H, W) float attenuation -> (H, W) uint8 display-like image: air 255, attenuation >= window 0."""
    scaled = 255.0 * (1.0 - np.clip(attenuation / window, 0.0, 1.0))
    return np.rint(scaled).astype(np.uint8)


def tiles_to_batch(tiles: np.ndarray) -> np.ndarray:
    """(N, T, T) uint8 gray tiles -> (N, 3, T, T) float32 in [0, 1], gray repeated on 3 channels."""
    batch = tiles.astype(np.float32) * (1.0 / 255.0)
    return np.repeat(batch[:, None, :, :], 3, axis=1)
