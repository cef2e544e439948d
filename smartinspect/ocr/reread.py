"""A second reading of a page's header lines from wider crops.

The detector runs on the page shrunk to 960 px (``detect.py``), so the box of a large, bold line at the top of a
page (a shop's or a company's name) is often tight: the tops of capitals or the first and last letters are cut,
and the recogniser drops or changes a character ("GARDENLA", "D.I.." for "D.I.Y."). The first lines of a page are
therefore read once more from crops of the same box grown on every side, and each line keeps the reading the
recogniser is most confident of (the first reading wins a tie). Only the header is re-read: it is where the
names are, and it keeps the extra work to a few crops per page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.ocr.layout import reading_order
from smartinspect.ocr.recognize import Reading, crop_line


@dataclass(frozen=True)
class RereadParams:
    """Which lines are re-read, and the grown crops (fractions of the line's height: top, bottom, left, right)."""

    max_lines: int = 0  # the first lines of the page in reading order (0: no second reading; off by default)
    max_top: float = 0.35  # ... that start in the top part of the page (fraction of its height)
    paddings: tuple[tuple[float, float, float, float], ...] = ((0.1, 0.1, 0.3, 0.3),)


def grown_box(box: np.ndarray, top: float, bottom: float, left: float, right: float) -> np.ndarray:
    """The quadrilateral (tl, tr, br, bl) grown along its own axes by the given fractions of its height."""
    b = box.astype(np.float32).copy()
    height = float(np.linalg.norm(b[3] - b[0]))
    down = (b[3] - b[0]) / max(height, 1e-6)
    across = (b[1] - b[0]) / max(float(np.linalg.norm(b[1] - b[0])), 1e-6)
    b[0] += height * (-top * down - left * across)
    b[1] += height * (-top * down + right * across)
    b[2] += height * (bottom * down + right * across)
    b[3] += height * (bottom * down - left * across)
    return b


def header_indices(boxes: np.ndarray, page_height: int, params: RereadParams) -> list[int]:
    """The boxes to read again: the first ``max_lines`` in reading order that start in the top of the page."""
    if params.max_lines <= 0 or len(boxes) == 0:
        return []
    top = [i for i in reading_order(boxes) if float(boxes[i, :, 1].min()) < params.max_top * page_height]
    return top[: params.max_lines]


def header_crops(image: np.ndarray, boxes: np.ndarray, params: RereadParams) -> tuple[list[int], list[np.ndarray]]:
    """``(line index, crop)`` pairs of every second reading of the page's header (clipped to the page)."""
    height, width = image.shape[:2]
    owners, crops = [], []
    for i in header_indices(boxes, height, params):
        for padding in params.paddings:
            grown = grown_box(boxes[i], *padding)
            grown[:, 0] = np.clip(grown[:, 0], 0, width - 1)
            grown[:, 1] = np.clip(grown[:, 1], 0, height - 1)
            owners.append(i)
            crops.append(crop_line(image, grown))
    return owners, crops


def keep_best(readings: list[Reading], owners: list[int], second: list[Reading]) -> list[Reading]:
    """Each line's most confident reading (the first reading wins a tie; an empty reading never wins)."""
    out = list(readings)
    for i, reading in zip(owners, second, strict=True):
        if reading.text.strip() and reading.confidence > out[i].confidence:
            out[i] = reading
    return out
