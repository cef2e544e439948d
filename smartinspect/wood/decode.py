"""Check and decode an officer's photo. Bad input raises :class:`UploadRejected` (a stable code, a sentence, an
HTTP status); the header (format, size) is checked before any pixel is decoded, so decompression bombs never
allocate. JPEGs are decoded at a reduced scale (libjpeg DCT scaling): only the centre's ~256 px are analysed.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from smartinspect.domain.reasons import client_reason
from smartinspect.domain.uploads import UploadRejected

SUPPORTED_FORMATS = {"JPEG": "jpeg", "PNG": "png", "WEBP": "webp", "TIFF": "tiff"}
MEDIA_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "tiff": "image/tiff"}
CONVERTIBLE_MODES = {"RGB", "RGBA", "L", "LA", "P", "CMYK", "I;16", "I;16B", "I;16L", "I;16N", "I", "YCbCr"}

__all__ = ["MEDIA_TYPES", "Photo", "UploadRejected", "decode_photo", "read_photo_header"]


@dataclass(frozen=True)
class PhotoHeader:
    format: str
    width: int
    height: int
    mode: str


@dataclass(frozen=True)
class Photo:
    """A checked upload: its bytes, header, and the decoded pixels ((h, w, 3) uint8 RGB, maybe reduced in scale)."""

    data: bytes
    header: PhotoHeader
    rgb: np.ndarray


def read_photo_header(data: bytes, *, max_pixels: int, min_side: int) -> PhotoHeader:
    if not data:
        raise UploadRejected("empty_file", "the uploaded file is empty", 400)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = None  # our own limit below, from the header
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height), mode = img.format, img.size, img.mode
    except Exception as exc:
        raise UploadRejected("not_an_image", f"the file is not a readable image ({client_reason(exc)})", 415) from exc
    if fmt not in SUPPORTED_FORMATS:
        raise UploadRejected("unsupported_format",
                             f"image format {fmt} is not accepted; send a JPEG, PNG, WebP or TIFF photo", 415)
    if width * height > max_pixels:
        msg = f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}"
        raise UploadRejected("too_many_pixels", msg, 413)
    if min(width, height) < min_side:
        msg = (f"image is {width}x{height}; each side must be >= {min_side} px to show the wood anatomy "
               "(photograph the end grain through the loupe at full resolution)")
        raise UploadRejected("image_too_small", msg, 422)
    if mode not in CONVERTIBLE_MODES:
        raise UploadRejected("unsupported_mode", f"image mode {mode!r} is not accepted; send an RGB photo", 422)
    return PhotoHeader(SUPPORTED_FORMATS[fmt], width, height, mode)


def decode_photo(data: bytes, *, max_pixels: int, min_side: int, analysis_side: int) -> Photo:
    """Header checks, then decoding to RGB uint8 at no less than twice ``analysis_side`` on the short side."""
    header = read_photo_header(data, max_pixels=max_pixels, min_side=min_side)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if header.format == "jpeg":
                scale = min(header.width, header.height) / (2 * analysis_side)
                if scale >= 2:
                    img.draft("RGB", (int(header.width / scale), int(header.height / scale)))
            img.load()
            rgb = _to_rgb8(img)
    except UploadRejected:
        raise
    except Exception as exc:
        raise UploadRejected("corrupt_image", f"the image could not be decoded ({client_reason(exc)})", 422) from exc
    return Photo(data, header, rgb)


def _to_rgb8(img: Image.Image) -> np.ndarray:
    if img.mode.startswith("I"):  # 16/32-bit gray: scale to 8 bits by its own range
        arr = np.asarray(img, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        gray = ((arr - lo) / max(hi - lo, 1.0) * 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))
