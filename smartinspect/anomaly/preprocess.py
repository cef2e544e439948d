"""Scanner image -> attenuation -> the network's view. Same functions at fit time and at serving time."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smartinspect.anomaly.types import AnomalyInputError, ViewParams
from smartinspect.xray.decode import UploadRejected, decode_pixels, read_header, to_attenuation
from smartinspect.xray.preprocess import air_value, to_model_input

DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 32


def read_attenuation(path: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """A scanner export on disk (PNG/TIFF 8/16-bit grey or RGB pseudo-colour, 8-bit JPEG) -> (H, W) float32
    attenuation -ln(I/I0). Raises :class:`AnomalyInputError` with the reason for anything else."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnomalyInputError("unreadable_file", f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        header = read_header(data, max_pixels=max_pixels, min_side=MIN_SIDE)
        return to_attenuation(decode_pixels(data, header))
    except UploadRejected as exc:
        raise AnomalyInputError(exc.code, f"{path}: {exc.message}") from exc


def cargo_box(attenuation: np.ndarray, pitch_mm: float | None) -> tuple[int, int, int, int] | None:
    """(x1, y1, x2, y2) of the container interior (the X-ray kind's empty-container check), or None when there is
    no pitch to measure with, no container is found, or the interior is too small to score."""
    from smartinspect.xray.empty import EmptyCheckParams, find_container_interior

    if pitch_mm is None:
        return None
    box = find_container_interior(attenuation, pitch_mm, EmptyCheckParams())
    if box is None or min(box[2] - box[0], box[3] - box[1]) < MIN_SIDE:
        return None
    return tuple(int(v) for v in box)


def view_factor(view: ViewParams, pitch_mm: float | None) -> float:
    """Model pixels per input pixel: the fitted ``scale``, corrected when the scan's pitch is known and differs
    from the pitch the model was fitted at."""
    if pitch_mm is not None and view.fit_pitch_mm is not None:
        return view.scale * pitch_mm / view.fit_pitch_mm
    return view.scale


def to_network_input(attenuation: np.ndarray, view: ViewParams, *, pitch_mm: float | None = None
                     ) -> tuple[np.ndarray, float, tuple[int, int]]:
    """(H, W) attenuation -> ((1, 3, H', W') float32 in [0, 1], factor, (h, w) unpadded model size).

    The scan is resampled by ``factor`` (model px per input px), windowed into three analysis channels and
    padded with air to multiples of the network's stride.
    """
    import cv2

    if attenuation.ndim != 2 or min(attenuation.shape) < 2:
        raise AnomalyInputError("bad_shape", f"expected a (H, W) attenuation map, got shape {attenuation.shape}")
    factor = view_factor(view, pitch_mm)
    height, width = attenuation.shape
    size = (max(view.pad_multiple, round(width * factor)), max(view.pad_multiple, round(height * factor)))
    att = attenuation.astype(np.float32, copy=False)
    if size != (width, height):
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
        att = cv2.resize(att, size, interpolation=interpolation)
    shown = to_model_input(att, window=view.window, mode=view.input_mode)
    if shown.ndim == 2:
        shown = np.repeat(shown[:, :, None], 3, axis=2)
    h, w = shown.shape[:2]
    m = view.pad_multiple
    pad_h, pad_w = (-h) % m, (-w) % m
    if pad_h or pad_w:
        fill = air_value(view.input_mode)
        fill = fill * 3 if len(fill) == 1 else fill
        shown = cv2.copyMakeBorder(shown, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=fill)
    batch = shown.astype(np.float32).transpose(2, 0, 1)[None] * (1.0 / 255.0)
    return np.ascontiguousarray(batch), size[0] / width, (h, w)
