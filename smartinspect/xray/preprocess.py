"""The model's view of a scan. Training tiles and served tiles go through these same functions."""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_WINDOW = 8.0  # attenuation mapped to black: ~33 cm of steel at 6 MeV, near the 16-bit noise floor
LOCAL_SIGMA_PX = 12.0  # local-contrast channel: attenuation minus its Gaussian-blurred surround (~6 cm at 5 mm/px)
LOCAL_GAIN = 96.0  # grey levels per unit of local attenuation excess (a pistol adds ~0.4: ~38 levels)
INPUT_MODES = ("gray", "multiwindow")


def resample_to_pitch(image: np.ndarray, *, pitch_mm: float, model_pitch_mm: float) -> tuple[np.ndarray, float]:
    """Resize so one pixel covers ``model_pitch_mm``. Returns the image and the factor (model px per input px)."""
    factor = pitch_mm / model_pitch_mm
    if abs(factor - 1.0) < 0.02:
        return image, 1.0
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation), factor


def check_input_mode(mode: str) -> str:
    if mode not in INPUT_MODES:
        raise ValueError(f"unknown input mode {mode!r}; valid modes: {', '.join(INPUT_MODES)}")
    return mode


def _window(attenuation: np.ndarray, window: float) -> np.ndarray:
    return np.rint(255.0 * (1.0 - np.clip(attenuation / window, 0.0, 1.0))).astype(np.uint8)


def to_model_input(attenuation: np.ndarray, *, window: float = DEFAULT_WINDOW, mode: str = "gray") -> np.ndarray:
    """(H, W) float attenuation -> the model's view: air bright, dense dark.

    ``gray``: (H, W) uint8, attenuation 0..window mapped to 255..0 (the first detector; gray repeated on 3 channels).
    ``multiwindow``: (H, W, 3) uint8, what an image analyst does with window/level, in one image: channel 0 the
    linear window, channel 1 a square-root (gamma 0.5) window that spreads light cargo and loose objects over
    more grey levels while keeping dense cargo, channel 2 local contrast (attenuation minus its blurred surround,
    128 = flat, brighter = denser), so a pistol among cartons stands out instead of sitting in 13 grey levels.
    """
    full = _window(attenuation, window)
    if check_input_mode(mode) == "gray":
        return full
    att = attenuation.astype(np.float32, copy=False)
    light = np.rint(255.0 * (1.0 - np.sqrt(np.clip(att / window, 0.0, 1.0)))).astype(np.uint8)
    surround = cv2.GaussianBlur(att, (0, 0), LOCAL_SIGMA_PX, borderType=cv2.BORDER_REFLECT)
    local = np.rint(np.clip(128.0 + LOCAL_GAIN * (att - surround), 0.0, 255.0)).astype(np.uint8)
    return np.dstack([full, light, local])


def air_value(mode: str) -> tuple[int, ...]:
    """The pixel value of air in the model's view (padding beyond the image)."""
    return (255,) if check_input_mode(mode) == "gray" else (255, 255, 128)


def tiles_to_batch(tiles: np.ndarray) -> np.ndarray:
    """(N, T, T) uint8 gray or (N, T, T, 3) uint8 multi-window tiles -> (N, 3, T, T) float32 in [0, 1].

    Gray is repeated on 3 channels. Multi-window channels keep their order (training tiles are written so that
    ultralytics' BGR->RGB flip lands them in this order; see xray/train/tiles.py).
    """
    batch = tiles.astype(np.float32) * (1.0 / 255.0)
    if batch.ndim == 4:
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    return np.repeat(batch[:, None, :, :], 3, axis=1)
