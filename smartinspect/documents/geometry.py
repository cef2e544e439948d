"""OCR lines with geometry: flattening pages, rows, and the neighbours of a label (right of it, under it)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.documents.normalise import clean_text
from smartinspect.ocr.types import DocumentText


@dataclass
class Line:
    index: int  # position in reading order over the whole document
    page: int
    text: str  # cleaned (NFKC, single spaces)
    confidence: float
    polygon: tuple[tuple[float, float], ...]
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def height(self) -> float:
        return max(1.0, self.y2 - self.y1)

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2

    def v_overlap(self, other: Line) -> float:
        """Vertical overlap as a share of the smaller height."""
        inter = min(self.y2, other.y2) - max(self.y1, other.y1)
        return max(0.0, inter) / min(self.height, other.height)

    def h_overlap(self, x1: float, x2: float) -> float:
        """Horizontal overlap with [x1, x2] in pixels."""
        return max(0.0, min(self.x2, x2) - max(self.x1, x1))


def _residual_slope(polygons: list[np.ndarray]) -> float:
    """Median slope of the long lines' top edges: what deskew left of a rotation or a photo's perspective."""
    slopes = []
    for pts in polygons:
        (x0, y0), (x1, y1) = pts[0], pts[1]
        width, height = x1 - x0, float(np.ptp(pts[:, 1]))
        if width > 4 * max(height, 1.0):
            slopes.append((y1 - y0) / width)
    return float(np.median(slopes)) if len(slopes) >= 3 else 0.0


def flatten(document: DocumentText) -> list[Line]:
    """Every non-empty line of every page, in the engine's reading order. Boxes are measured after turning the
    page by its residual slope (so rows stay rows on a slightly rotated photo); polygons stay as read."""
    lines = []
    for page in document.pages:
        kept = [(clean_text(ln.text), ln) for ln in page.lines if clean_text(ln.text)]
        polys = [np.asarray(ln.polygon, dtype=np.float64).reshape(-1, 2) for _, ln in kept]
        angle = np.arctan(_residual_slope(polys))
        cos, sin = np.cos(angle), np.sin(angle)
        for (text, ocr_line), pts in zip(kept, polys, strict=True):
            xs = pts[:, 0] * cos + pts[:, 1] * sin
            ys = -pts[:, 0] * sin + pts[:, 1] * cos
            lines.append(Line(len(lines), page.index, text, float(ocr_line.confidence),
                              tuple((float(x), float(y)) for x, y in pts), float(xs.min()), float(ys.min()),
                              float(xs.max()), float(ys.max())))
    return lines


def typical_height(lines: list[Line]) -> float:
    return float(np.median([line.height for line in lines])) if lines else 20.0


def rows(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into rows (same page, overlapping half their height), top to bottom, each left to right."""
    out: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.page, ln.cy)):
        if out and out[-1][0].page == line.page:
            row = out[-1]
            nearest = min(row, key=lambda other: max(other.x1 - line.x2, line.x1 - other.x2, 0.0))
            if line.v_overlap(nearest) > 0.5:  # the nearest cell, not any: a slanted row must not chain on
                row.append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda ln: ln.x1) for row in out]


def right_of(label: Line, lines: list[Line], *, max_gap: float) -> list[Line]:
    """Lines on the label's row to its right, nearest first, within ``max_gap`` px of it."""
    found = [ln for ln in lines if ln.page == label.page and ln is not label and ln.v_overlap(label) > 0.4
             and ln.x1 >= label.x2 - 0.5 * label.height and ln.x1 - label.x2 <= max_gap]
    return sorted(found, key=lambda ln: ln.x1)


def below(label: Line, lines: list[Line], *, max_lines: float = 2.5, column: tuple[float, float] | None = None
          ) -> list[Line]:
    """Lines under the label, in its column, nearest first: they start within a few line heights of its left
    edge or overlap it horizontally, and lie within ``max_lines`` line heights below it."""
    h = label.height
    x1, x2 = column if column else (label.x1, label.x2)
    found = []
    for ln in lines:
        # Below: its top clearly under the label's top (OCR boxes of tightly stacked lines overlap a little).
        if ln.page != label.page or ln is label or ln.y1 < label.y1 + 0.6 * h or ln.y1 > label.y2 + max_lines * h:
            continue
        starts_near = -1.5 * h <= ln.x1 - x1 <= 3.0 * h
        if starts_near or ln.h_overlap(x1, x2) > 0.5 * min(x2 - x1, ln.x2 - ln.x1):
            found.append(ln)
    return sorted(found, key=lambda ln: (ln.y1, ln.x1))
