"""The model's view of a scan. Training tiles and served tiles go through these same functions."""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_WINDOW = 8.0  # attenuation mapped to black: ~33 cm of steel at 6 MeV, near the 16-bit noise floor
LOCAL_SIGMA_PX = 12.0  # local-contrast channel: attenuation minus its Gaussian-blurred surround (~6 cm at 5 mm/px)
LOCAL_GAIN = 96.0  # grey levels per unit of local attenuation excess (a pistol adds ~0.4: ~38 levels)
MATERIAL_RATIO_RANGE = (0.9, 1.6)  # A_low / A_high mapped to 0..255: iron ~1.0-1.2, organic ~1.44 (materials.py)
MATERIAL_MIN_ATTENUATION = 0.3  # below this the ratio is noise: neutral grey
INPUT_MODES = ("gray", "multiwindow", "material")


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


def material_channel(att_high: np.ndarray, att_low: np.ndarray | None) -> np.ndarray:
    """(H, W) uint8 dual-energy ratio R = A_low / A_high over MATERIAL_RATIO_RANGE (dark: metal, bright: organic);
    128 where the beam crossed too little matter for R to mean anything, and everywhere on single-energy scans."""
    neutral = np.full(att_high.shape, 128, np.uint8)
    if att_low is None or att_low.shape != att_high.shape:
        return neutral
    high = att_high.astype(np.float32, copy=False)
    ratio = att_low.astype(np.float32, copy=False) / np.maximum(high, 1e-3)
    lo, hi = MATERIAL_RATIO_RANGE
    out = np.rint(255.0 * np.clip((ratio - lo) / (hi - lo), 0.0, 1.0)).astype(np.uint8)
    return np.where(high >= MATERIAL_MIN_ATTENUATION, out, neutral)


def _local_contrast(att: np.ndarray) -> np.ndarray:
    surround = cv2.GaussianBlur(att, (0, 0), LOCAL_SIGMA_PX, borderType=cv2.BORDER_REFLECT)
    return np.rint(np.clip(128.0 + LOCAL_GAIN * (att - surround), 0.0, 255.0)).astype(np.uint8)


def to_model_input(attenuation: np.ndarray, *, window: float = DEFAULT_WINDOW, mode: str = "gray",
                   low_attenuation: np.ndarray | None = None) -> np.ndarray:
    """(H, W) float attenuation -> the model's view: air bright, dense dark.

    ``gray``: (H, W) uint8, attenuation 0..window mapped to 255..0 (the first detector; gray repeated on 3 channels).
    ``multiwindow``: (H, W, 3) uint8, what an image analyst does with window/level, in one image: channel 0 the
    linear window, channel 1 a square-root (gamma 0.5) window that spreads light cargo and loose objects over
    more grey levels while keeping dense cargo, channel 2 local contrast (attenuation minus its blurred surround,
    128 = flat, brighter = denser), so a pistol among cartons stands out instead of sitting in 13 grey levels.
    ``material``: (H, W, 3) uint8: the linear window, local contrast, and the dual-energy material channel
    (:func:`material_channel` of ``low_attenuation``, the low-energy image resampled like the high one; neutral
    when the scan has one energy). Drug packs are organic and pistols are metal: this channel shows it.
    """
    full = _window(attenuation, window)
    mode = check_input_mode(mode)
    if mode == "gray":
        return full
    att = attenuation.astype(np.float32, copy=False)
    if mode == "material":
        return np.dstack([full, _local_contrast(att), material_channel(att, low_attenuation)])
    light = np.rint(255.0 * (1.0 - np.sqrt(np.clip(att / window, 0.0, 1.0)))).astype(np.uint8)
    return np.dstack([full, light, _local_contrast(att)])


def air_value(mode: str) -> tuple[int, ...]:
    """The pixel value of air in the model's view (padding beyond the image)."""
    return {"gray": (255,), "multiwindow": (255, 255, 128), "material": (255, 128, 128)}[check_input_mode(mode)]


def tiles_to_batch(tiles: np.ndarray) -> np.ndarray:
    """(N, T, T) uint8 gray or (N, T, T, 3) uint8 multi-window tiles -> (N, 3, T, T) float32 in [0, 1].

    Gray is repeated on 3 channels. Multi-window channels keep their order (training tiles are written so that
    ultralytics' BGR->RGB flip lands them in this order; see xray/train/tiles.py).
    """
    batch = tiles.astype(np.float32) * (1.0 / 255.0)
    if batch.ndim == 4:
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    return np.repeat(batch[:, None, :, :], 3, axis=1)
