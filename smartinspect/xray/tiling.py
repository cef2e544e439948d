"""Cut full scans into overlapping tiles and merge per-tile detections back into image coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.xray.types import Detections

EDGE_MARGIN_PX = 3.0  # a box this close to an inner tile edge was cut by the tile


@dataclass(frozen=True)
class Tile:
    """A square tile at (x0, y0). The tiled region spans [origin, image size); edges inside it may cut objects."""

    x0: int
    y0: int
    size: int
    image_width: int
    image_height: int
    origin_x: int = 0
    origin_y: int = 0

    @property
    def x1(self) -> int:
        return self.x0 + self.size

    @property
    def y1(self) -> int:
        return self.y0 + self.size

    def inner_edges(self) -> tuple[bool, bool, bool, bool]:
        """Which sides (left, top, right, bottom) lie inside the image, so objects there may be cut."""
        return (self.x0 > self.origin_x, self.y0 > self.origin_y, self.x1 < self.image_width,
                self.y1 < self.image_height)


def _starts(length: int, tile: int, stride: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)  # last tile flush with the far edge
    return sorted(set(starts))


def tile_grid(
    height: int, width: int, *, tile: int, overlap: int, roi: tuple[int, int, int, int] | None = None
) -> list[Tile]:
    """Tiles of ``tile`` px covering the image, or only ``roi`` (x0, y0, x1, y1), with ``overlap`` px shared."""
    if not 0 <= overlap < tile:
        raise ValueError(f"overlap must be in [0, tile), got overlap={overlap}, tile={tile}")
    rx0, ry0, rx1, ry1 = roi if roi is not None else (0, 0, width, height)
    stride = tile - overlap
    return [
        Tile(rx0 + x0, ry0 + y0, tile, rx1, ry1, rx0, ry0)
        for y0 in _starts(ry1 - ry0, tile, stride)
        for x0 in _starts(rx1 - rx0, tile, stride)
    ]


def occupied_region(attenuation: np.ndarray, *, min_attenuation: float, margin: int = 8):
    """(x0, y0, x1, y1) around every pixel at least ``min_attenuation``, or None when there is only air."""
    occupied = attenuation >= min_attenuation
    rows = np.flatnonzero(occupied.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(occupied.any(axis=0))
    height, width = attenuation.shape
    return (max(0, int(cols[0]) - margin), max(0, int(rows[0]) - margin),
            min(width, int(cols[-1]) + 1 + margin), min(height, int(rows[-1]) + 1 + margin))


def extract_tiles(image: np.ndarray, grid: list[Tile], *, pad_value: int | tuple[int, ...] = 255) -> np.ndarray:
    """(H, W[, C]) uint8 -> (N, T, T[, C]) uint8; beyond the image, tiles are padded with ``pad_value`` (air)."""
    if not grid:
        return np.zeros((0, 0, 0, *image.shape[2:]), dtype=image.dtype)
    size = grid[0].size
    out = np.empty((len(grid), size, size, *image.shape[2:]), dtype=image.dtype)
    out[...] = np.asarray(pad_value, dtype=image.dtype)
    for i, t in enumerate(grid):
        crop = image[t.y0 : t.y1, t.x0 : t.x1]
        out[i, : crop.shape[0], : crop.shape[1]] = crop
    return out


def _cut_flags(boxes: np.ndarray, tile: Tile) -> np.ndarray:
    """(N,) bool: the box touches an edge of ``tile`` that lies inside the image."""
    left, top, right, bottom = tile.inner_edges()
    local = boxes - np.array([tile.x0, tile.y0, tile.x0, tile.y0], dtype=np.float32)
    limit = tile.size, tile.size
    return (
        (left & (local[:, 0] <= EDGE_MARGIN_PX))
        | (top & (local[:, 1] <= EDGE_MARGIN_PX))
        | (right & (local[:, 2] >= limit[0] - EDGE_MARGIN_PX))
        | (bottom & (local[:, 3] >= limit[1] - EDGE_MARGIN_PX))
    )


def pairwise_overlap(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU and intersection-over-smaller (IoS) between (N,4) and (M,4) xyxy boxes."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    smaller = np.minimum(area_a[:, None], area_b[None, :])
    return inter / np.maximum(union, 1e-6), inter / np.maximum(smaller, 1e-6)


def _interval_iou(a: np.ndarray, b: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """1-D IoU of one box (a: (4,)) with many (b: (M,4)) along the axis given by coordinates ``lo``/``hi``."""
    inter = np.minimum(a[hi], b[:, hi]) - np.maximum(a[lo], b[:, lo])
    span = np.maximum(a[hi], b[:, hi]) - np.minimum(a[lo], b[:, lo])
    return np.clip(inter, 0, None) / np.maximum(span, 1e-6)


def merge_tile_detections(
    per_tile: list[Detections],
    grid: list[Tile],
    *,
    iou_threshold: float = 0.5,
    align_threshold: float = 0.5,
) -> Detections:
    """Shift tile detections into image coordinates and merge them so each object is reported once.

    Same-class boxes overlapping by IoU > ``iou_threshold`` are duplicates (the higher score is kept). Pieces of
    one object cut by a tile edge intersect and line up (1-D IoU > ``align_threshold`` across the cut); they are
    fused into their union box, repeatedly, so an object spanning several tiles comes out as one box.
    """
    shifted, cut = [], []
    for dets, tile in zip(per_tile, grid, strict=True):
        offset = np.array([tile.x0, tile.y0, tile.x0, tile.y0], dtype=np.float32)
        moved = Detections(dets.boxes + offset, dets.scores, dets.class_ids)
        shifted.append(moved)
        cut.append(_cut_flags(moved.boxes, tile))
    merged = Detections.concat(shifted)
    cut_flags = np.concatenate(cut) if cut else np.zeros(0, dtype=bool)
    parts = []
    for class_id in np.unique(merged.class_ids):
        idx = np.flatnonzero(merged.class_ids == class_id)
        boxes, scores = _merge_one_class(
            merged.boxes[idx], merged.scores[idx], cut_flags[idx], iou_threshold, align_threshold
        )
        parts.append(Detections(boxes, scores, np.full(len(boxes), class_id)))
    return Detections.concat(parts)


def _merge_one_class(
    boxes: np.ndarray, scores: np.ndarray, cut: np.ndarray, iou_thr: float, align_thr: float
) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-scores, kind="stable")
    boxes, scores, cut = boxes[order].copy(), scores[order].copy(), cut[order].copy()
    alive = np.ones(len(boxes), dtype=bool)
    changed = True
    while changed:  # a fused box can reach a further piece, so repeat until nothing changes
        changed = False
        for i in np.flatnonzero(alive):
            if not alive[i]:
                continue
            others = np.flatnonzero(alive)
            others = others[others != i]
            if len(others) == 0:
                break
            iou, _ = pairwise_overlap(boxes[i : i + 1], boxes[others])
            aligned = (_interval_iou(boxes[i], boxes[others], 0, 2) > align_thr) | (
                _interval_iou(boxes[i], boxes[others], 1, 3) > align_thr
            )
            piece = (iou[0] > 0) & aligned & (cut[i] | cut[others])
            duplicate = iou[0] > iou_thr
            for j, is_piece in zip(others[duplicate | piece], piece[duplicate | piece], strict=True):
                if is_piece:
                    boxes[i, :2] = np.minimum(boxes[i, :2], boxes[j, :2])
                    boxes[i, 2:] = np.maximum(boxes[i, 2:], boxes[j, 2:])
                    cut[i] |= cut[j]
                scores[i] = max(scores[i], scores[j])
                alive[j] = False
                changed = True
    return boxes[alive], scores[alive]
