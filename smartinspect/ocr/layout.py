"""Reading order: rows top to bottom, lines left to right within a row.

A line joins a row when its vertical extent overlaps the row's by at least half of the smaller height, so the
cells of one table row (and a label with its value) come out together, left to right.
"""

from __future__ import annotations

import numpy as np


def reading_order(boxes: np.ndarray, *, min_overlap: float = 0.5) -> list[int]:
    """Indices of (N, 4, 2) upright boxes in reading order."""
    if len(boxes) == 0:
        return []
    y1 = boxes[:, :, 1].min(axis=1)
    y2 = boxes[:, :, 1].max(axis=1)
    x1 = boxes[:, :, 0].min(axis=1)
    centre = (y1 + y2) / 2.0
    rows: list[list[int]] = []
    row_top: list[float] = []
    row_bottom: list[float] = []
    for index in np.argsort(centre, kind="stable"):
        height = y2[index] - y1[index]
        placed = False
        for r in range(len(rows) - 1, max(-1, len(rows) - 4), -1):  # only the last few rows can overlap
            overlap = min(y2[index], row_bottom[r]) - max(y1[index], row_top[r])
            if overlap >= min_overlap * max(1.0, min(height, row_bottom[r] - row_top[r])):
                rows[r].append(int(index))
                placed = True
                break
        if not placed:
            rows.append([int(index)])
            row_top.append(float(y1[index]))
            row_bottom.append(float(y2[index]))
    order: list[int] = []
    for row in rows:
        order.extend(sorted(row, key=lambda i: x1[i]))
    return order
