"""Empty-container verification from physics alone: find the container, then look for anything inside it.

An empty container seen side-on is two corrugated side walls: every interior column carries the same wall
attenuation w(x) from roof to floor. Content shows as attenuation rising above w(x) somewhere in the column, or
as columns whose floor-to-roof level is beyond what walls can give.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from smartinspect.xray.types import EmptyCheck


@dataclass(frozen=True)
class EmptyCheckParams:
    roof_attenuation: float = 1.5  # the roof sheet, crossed edge-on over the container width
    min_roof_mm: float = 5000.0  # a roof row spans at least this much (a tractor cab is shorter)
    roof_band_mm: float = 60.0  # corrugation depth of a roof panel, plus margin
    roof_gap_mm: float = 200.0  # a longer break in the roof line ends the container (a cab roof is not ours)
    container_heights_mm: tuple[float, ...] = (2591.0, 2896.0)  # ISO standard and high-cube
    floor_tolerance_mm: float = 150.0
    floor_attenuation: float = 3.5  # plywood floor crossed along the width
    roof_skip_mm: float = 90.0
    floor_skip_mm: float = 40.0
    end_skip_mm: float = 180.0  # corner posts, doors and front wall
    content_delta: float = 0.08  # rise above the column wall level that counts as content (noise sigma ~0.005)
    max_wall_attenuation: float = 1.2  # floor-to-roof level no pair of side walls reaches
    min_content_mm2: float = 6_000.0  # ~ an 8 x 8 cm object (a pistol is ~ 20 x 13 cm): smaller specks are noise
    content_fraction_threshold: float = 0.002


def find_container_interior(attenuation: np.ndarray, pitch_mm: float, p: EmptyCheckParams):
    """(x1, y1, x2, y2) of the container interior in pixels, or None when no container roof is visible."""
    dark = attenuation > p.roof_attenuation
    # the corrugated roof waves up and down across rows: pool a roof-deep band before counting
    depth = max(3, int(round(p.roof_band_mm / pitch_mm)) | 1)
    pooled = cv2.dilate(dark.astype(np.uint8), np.ones((depth, 1), np.uint8)).astype(bool)
    min_run = int(p.min_roof_mm / pitch_mm)
    rows = np.flatnonzero(pooled.sum(axis=1) >= min_run)
    if rows.size == 0:
        return None
    roof = int(rows[0])
    band = pooled[roof : roof + depth].any(axis=0)
    x_left, x_right = _longest_run(np.flatnonzero(band), max_gap=int(p.roof_gap_mm / pitch_mm))
    expected = [roof + int((h - 160.0) / pitch_mm) for h in p.container_heights_mm]  # floor top under the roof
    search = slice(roof + int(1800 / pitch_mm), min(attenuation.shape[0], roof + int(3200 / pitch_mm)))
    inner_cols = slice(x_left + (x_right - x_left) // 10, x_right - (x_right - x_left) // 10)
    profile = np.median(attenuation[search, inner_cols], axis=1)
    below = np.flatnonzero(profile > p.floor_attenuation)
    floor = search.start + int(below[0]) if below.size else expected[0]
    if min(abs(floor - e) for e in expected) > p.floor_tolerance_mm / pitch_mm:
        floor = expected[0]  # dense cargo (ore, steel) looked like the floor: trust the ISO height
    box = (
        int(x_left + p.end_skip_mm / pitch_mm),
        int(roof + p.roof_skip_mm / pitch_mm),
        int(x_right - p.end_skip_mm / pitch_mm),
        int(floor - p.floor_skip_mm / pitch_mm),
    )
    if box[2] - box[0] < min_run // 2 or box[3] - box[1] < int(1000 / pitch_mm):
        return None
    return box


def _longest_run(cols: np.ndarray, *, max_gap: int) -> tuple[int, int]:
    """First and last column of the longest run of ``cols`` whose steps are at most ``max_gap``."""
    breaks = np.flatnonzero(np.diff(cols) > max_gap)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(cols) - 1]])
    best = int(np.argmax(cols[ends] - cols[starts]))
    return int(cols[starts[best]]), int(cols[ends[best]])


def content_mask(interior: np.ndarray, p: EmptyCheckParams) -> np.ndarray:
    """(h, w) bool: interior pixels denser than an empty container's walls."""
    wall = np.percentile(interior, 5, axis=0)
    wall = cv2.medianBlur(wall.astype(np.float32)[None, :], 5)[0]
    rise = interior - wall[None, :]
    mask = (rise > p.content_delta) | (wall[None, :] > p.max_wall_attenuation)
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return mask.astype(bool)


def verify_empty_container(
    attenuation: np.ndarray, *, pitch_mm: float, declared_empty: bool | None, params: EmptyCheckParams | None = None
) -> EmptyCheck:
    """Is there content inside the container? (H, W) attenuation at ``pitch_mm`` mm per pixel."""
    p = params or EmptyCheckParams()
    box = find_container_interior(attenuation, pitch_mm, p)
    if box is None:
        return EmptyCheck(False, False, 0.0, None, declared_empty)
    x1, y1, x2, y2 = box
    mask = content_mask(attenuation[y1:y2, x1:x2], p)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    min_area_px = p.min_content_mm2 / (pitch_mm * pitch_mm)
    big = stats[1:, cv2.CC_STAT_AREA] >= min_area_px if n > 1 else np.zeros(0, bool)
    fraction = float(stats[1:, cv2.CC_STAT_AREA][big].sum() / mask.size) if n > 1 else 0.0
    seen = bool(big.any()) or fraction > p.content_fraction_threshold
    return EmptyCheck(True, seen, fraction, box, declared_empty)
