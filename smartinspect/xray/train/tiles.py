"""Cut generated X-ray datasets into YOLO training tiles with the serving code's own tiling."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from smartinspect.xray.dataset import iter_scans, load_low, load_scan
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.preprocess import air_value, to_model_input
from smartinspect.xray.tiling import extract_tiles, tile_grid


def clip_boxes_to_tile(
    boxes: list[tuple[int, list[float]]], x0: int, y0: int, size: int, *, min_visible: float, min_piece_px: int
) -> list[tuple[int, float, float, float, float]]:
    """Boxes (image px) -> YOLO lines (class, cx, cy, w, h normalised) for the parts visible in a tile.

    A piece is kept when enough of the object shows (``min_visible`` of its area) or when the piece itself is
    big enough to recognise (both sides >= ``min_piece_px``); merging at inference fuses pieces again.
    """
    lines = []
    for class_id, (x1, y1, x2, y2) in boxes:
        cx1, cy1 = max(x1, x0), max(y1, y0)
        cx2, cy2 = min(x2, x0 + size), min(y2, y0 + size)
        if cx2 <= cx1 or cy2 <= cy1:
            continue
        visible = (cx2 - cx1) * (cy2 - cy1) / max((x2 - x1) * (y2 - y1), 1e-6)
        if visible < min_visible and min(cx2 - cx1, cy2 - cy1) < min_piece_px:
            continue
        lines.append(
            (class_id, ((cx1 + cx2) / 2 - x0) / size, ((cy1 + cy2) / 2 - y0) / size,
             (cx2 - cx1) / size, (cy2 - cy1) / size)
        )
    return lines


def _tile_view(record, *, tile: int, overlap: int, window: float, input_mode: str):
    low = load_low(record) if input_mode == "material" else None
    view = to_model_input(to_attenuation(load_scan(record)), window=window, mode=input_mode,
                          low_attenuation=None if low is None else to_attenuation(low))
    return view, tile_grid(view.shape[0], view.shape[1], tile=tile, overlap=overlap)


def _write_tile(images: Path, labels: Path, name: str, px: np.ndarray, lines) -> None:
    # ultralytics reads PNGs as BGR and flips them to RGB: store channels reversed so the network sees them in
    # to_model_input's order, as the served pipeline feeds them.
    cv2.imwrite(str(images / f"{name}.png"), px if px.ndim == 2 else px[..., ::-1])
    text = "".join(f"{c} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n" for c, cx, cy, w, h in lines)
    (labels / f"{name}.txt").write_text(text)


def build_tile_dataset(
    dataset_dir: Path,
    out_dir: Path,
    *,
    class_names: list[str],
    tile: int,
    overlap: int,
    window: float,
    input_mode: str = "gray",
    negatives_per_positive: float,
    min_visible: float,
    min_piece_px: int,
    seed: int,
    splits: tuple[str, ...] = ("train", "val"),
) -> Path:
    """Write ``out_dir/{images,labels}/{split}`` tiles and ``data.yaml``; returns the data.yaml path."""
    rng = np.random.default_rng(seed)
    counts = {}
    for split in splits:
        images, labels = out_dir / "images" / split, out_dir / "labels" / split
        images.mkdir(parents=True, exist_ok=True)
        labels.mkdir(parents=True, exist_ok=True)
        # Positive tiles go to disk at once; negatives are only remembered (scan, tile) and cut again once the
        # sample is drawn: holding every tile of a thousand scans in memory took more than 14 GB.
        records, n_pos, negatives = list(iter_scans(dataset_dir, split)), 0, []
        for r, record in enumerate(records):
            view, grid = _tile_view(record, tile=tile, overlap=overlap, window=window, input_mode=input_mode)
            pixels = extract_tiles(view, grid, pad_value=air_value(input_mode))
            for t, (g, px) in enumerate(zip(grid, pixels, strict=True)):
                lines = clip_boxes_to_tile(record.boxes, g.x0, g.y0, tile, min_visible=min_visible,
                                           min_piece_px=min_piece_px)
                if lines:
                    _write_tile(images, labels, f"{record.scan_id}_{g.x0}_{g.y0}", px, lines)
                    n_pos += 1
                elif (px if px.ndim == 2 else px[..., 0]).min() < 250:  # skip pure air: nothing to learn there
                    negatives.append((r, t))
        # at least a few negatives, so a split never ends up empty (ultralytics refuses empty splits)
        n_neg = min(len(negatives), max(4, int(round(negatives_per_positive * n_pos))))
        chosen = sorted(negatives[i] for i in rng.choice(len(negatives), size=n_neg, replace=False)) if n_neg else []
        by_scan: dict[int, list[int]] = {}
        for r, t in chosen:
            by_scan.setdefault(r, []).append(t)
        for r, tile_ids in by_scan.items():
            record = records[r]
            view, grid = _tile_view(record, tile=tile, overlap=overlap, window=window, input_mode=input_mode)
            picked = [grid[t] for t in tile_ids]
            for g, px in zip(picked, extract_tiles(view, picked, pad_value=air_value(input_mode)), strict=True):
                _write_tile(images, labels, f"{record.scan_id}_{g.x0}_{g.y0}", px, [])
        counts[split] = {"positive_tiles": n_pos, "negative_tiles": n_neg}
    data_yaml = out_dir / "data.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(class_names))
    data_yaml.write_text(
        f"path: {out_dir.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n"
    )
    (out_dir / "tiles.json").write_text(json.dumps(counts, indent=2))
    return data_yaml
