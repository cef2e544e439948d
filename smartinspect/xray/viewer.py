"""Scan pixels for the expert review viewer: the raw 16-bit samples, compactly, and the material-colour layer.

The viewer applies window/level itself (JavaScript on ImageData), so it needs the stored samples, not an 8-bit
rendering: ``raw_pixels`` gives them as a little-endian array, gzip-compressed once and cached by the image's
sha256 (the blob is immutable, so the cache never goes stale).
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from smartinspect.storage.blobs import BlobStore
from smartinspect.storage.models import Scan
from smartinspect.xray.decode import ImageHeader, decode_pixels, to_attenuation
from smartinspect.xray.overlay import MATERIAL_BGR, classify_materials

RAW_FORMAT = "u16le"  # samples on the wire: little-endian uint16, row-major, width x height
_GZIP_LEVEL = 1  # X-ray noise barely compresses: level 1 is as small as 6 and twice as fast
MATERIAL_ALPHA = 150  # the colour layer lets the grey scan show through


@dataclass(frozen=True)
class RawPixels:
    """A scan's samples for the viewer: gzip of ``width*height`` little-endian uint16 values (``bit_depth`` used)."""

    gzipped: bytes
    width: int
    height: int
    bit_depth: int


def _stored_gray(blobs: BlobStore, scan: Scan, digest: str, channels: int) -> np.ndarray:
    header = ImageHeader(scan.image_format, scan.width, scan.height, "", scan.bit_depth, channels)
    pixels = decode_pixels(blobs.get(digest), header)
    if pixels.ndim == 3:  # pseudo-colour upload: the viewer shows its luminance
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    return pixels


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _raw_cache(scan: Scan, cache_dir: Path) -> Path:
    return cache_dir / f"{scan.image_sha256}.{RAW_FORMAT}.gz"


def raw_pixels_cached(scan: Scan, *, cache_dir: Path) -> bool:
    return _raw_cache(scan, cache_dir).is_file()


def raw_pixels(blobs: BlobStore, scan: Scan, *, cache_dir: Path) -> RawPixels:
    """The high-energy image's samples, gzip-compressed; built once per image and cached in ``cache_dir``."""
    bit_depth = 16 if scan.bit_depth == 16 and scan.channels == 1 else 8
    cached = _raw_cache(scan, cache_dir)
    if cached.is_file():
        return RawPixels(cached.read_bytes(), scan.width, scan.height, bit_depth)
    pixels = _stored_gray(blobs, scan, scan.image_sha256, scan.channels)
    data = gzip.compress(pixels.astype("<u2", copy=False).tobytes(), compresslevel=_GZIP_LEVEL, mtime=0)
    _write_atomic(cached, data)
    return RawPixels(data, scan.width, scan.height, bit_depth)


def material_layer_png(blobs: BlobStore, scan: Scan, *, cache_dir: Path) -> bytes | None:
    """RGBA PNG the size of the scan: organic orange, inorganic green, metal blue, transparent elsewhere.

    None for single-energy scans (materials need the low-energy channel). Uses the X-ray slice's
    ``classify_materials``, so the viewer and the server-side overlay agree.
    """
    if scan.image_low_sha256 is None:
        return None
    cached = cache_dir / f"{scan.image_sha256}.{scan.image_low_sha256[:16]}.materials.png"
    if cached.is_file():
        return cached.read_bytes()
    att_high = to_attenuation(_stored_gray(blobs, scan, scan.image_sha256, scan.channels))
    att_low = to_attenuation(_stored_gray(blobs, scan, scan.image_low_sha256, 1))
    # The same ratio boundaries as xray.overlay.render_overlay's defaults (organic >= 1.40, metal < 1.22).
    labels = classify_materials(att_high, att_low, organic_min=1.40, metal_max=1.22)
    layer = np.zeros((*labels.shape, 4), np.uint8)
    for value, name in enumerate(("organic", "inorganic", "metal"), start=1):
        layer[labels == value] = (*MATERIAL_BGR[name], MATERIAL_ALPHA)  # BGRA: cv2 writes it as RGBA PNG
    ok, png = cv2.imencode(".png", layer, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise RuntimeError("could not encode the material layer as PNG")
    _write_atomic(cached, png.tobytes())
    return png.tobytes()
