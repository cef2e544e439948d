"""Decode scanner uploads (PNG/TIFF, 8- or 16-bit gray, RGB pseudo-colour; 8-bit JPEG exports) into attenuation maps.

Bad input raises :class:`UploadRejected` with a stable code and a sentence; nothing is decoded before the header
(size, mode, bit depth) has been checked, so decompression bombs never allocate.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from smartinspect.domain.reasons import client_reason
from smartinspect.domain.uploads import UploadRejected

SUPPORTED_FORMATS = {"PNG": "png", "TIFF": "tiff", "JPEG": "jpeg"}  # JPEG: 8-bit exports only (lossy)
# PIL mode -> (bit depth, channels) for the modes a scanner can send.
SUPPORTED_MODES = {
    "L": (8, 1),
    "I;16": (16, 1),
    "I;16B": (16, 1),
    "I;16L": (16, 1),
    "I;16N": (16, 1),
    "RGB": (8, 3),
    "RGBA": (8, 4),
    "LA": (8, 2),
}


@dataclass(frozen=True)
class ImageHeader:
    format: str  # "png" | "tiff"
    width: int
    height: int
    mode: str
    bit_depth: int
    channels: int


def read_header(data: bytes, *, max_pixels: int, min_side: int = 32) -> ImageHeader:
    """Check format, size and bit depth from the header alone."""
    if not data:
        raise UploadRejected("empty_file", "the uploaded file is empty", 400)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None  # we apply our own limit below, from the header
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height), mode = img.format, img.size, img.mode
    except Exception as exc:
        message = f"the file is not a readable PNG or TIFF image ({client_reason(exc)})"
        raise UploadRejected("not_an_image", message, 415) from exc
    if fmt not in SUPPORTED_FORMATS:
        raise UploadRejected(
            "unsupported_format", f"image format {fmt} is not accepted; send PNG or TIFF (or an 8-bit JPEG export)", 415
        )
    if width * height > max_pixels:
        msg = f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}"
        raise UploadRejected("too_many_pixels", msg, 413)
    if min(width, height) < min_side:
        raise UploadRejected("image_too_small", f"image is {width}x{height}; each side must be >= {min_side}", 422)
    if mode not in SUPPORTED_MODES:
        msg = f"image mode {mode!r} is not accepted; send 8- or 16-bit grayscale, or 8-bit RGB pseudo-colour"
        raise UploadRejected("unsupported_bit_depth", msg, 422)
    bit_depth, channels = SUPPORTED_MODES[mode]
    return ImageHeader(SUPPORTED_FORMATS[fmt], width, height, mode, bit_depth, channels)


def decode_pixels(data: bytes, header: ImageHeader) -> np.ndarray:
    """Decode to (H, W) uint8/uint16 gray or (H, W, 3) uint8 BGR; corrupt or truncated files are rejected."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UploadRejected("corrupt_image", "the image data is corrupt or truncated and could not be decoded", 422)
    if image.shape[0] != header.height or image.shape[1] != header.width:
        raise UploadRejected("corrupt_image", "decoded size differs from the header: the file is corrupt", 422)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if image.ndim == 3 and image.shape[2] == 2:
        image = image[:, :, 0]
    if image.dtype not in (np.uint8, np.uint16):
        raise UploadRejected("unsupported_bit_depth", f"decoded sample type {image.dtype} is not 8 or 16 bit", 422)
    return image


def to_transmission(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 transmission in (0, 1]: counts over the open-beam level.

    RGB pseudo-colour is reduced to luminance. The open-beam level I0 is the 99.9th percentile (the air around
    the truck); an image with no air is assumed to use the full scale of its bit depth.
    """
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    full_scale = 65535.0 if image.dtype == np.uint16 else 255.0
    counts = image.astype(np.float32)
    open_beam = float(np.percentile(counts[:: max(1, counts.shape[0] // 256), :: 4], 99.9))
    i0 = open_beam if open_beam > 0.5 * full_scale else full_scale
    return np.clip((counts + 0.5) / (i0 + 0.5), 1e-6, 1.0)


def to_attenuation(image: np.ndarray) -> np.ndarray:
    """(H, W) float32 line integral A = -ln(I / I0) (0 for air; ~11 at the 16-bit noise floor)."""
    return -np.log(to_transmission(image))
