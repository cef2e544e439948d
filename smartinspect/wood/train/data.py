"""Training data for the wood classifier: analysis views cached once, random crops drawn per step.

Views are made with the serving code (``smartinspect.wood.preprocess.analysis_view`` on the decoded JPEG), so the
model trains on exactly what it is served. The cache is a uint8 ``.npy`` per split, keyed by the dataset's
fingerprint and the view size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from smartinspect.wood.datagen.dataset import read_index
from smartinspect.wood.preprocess import analysis_view


@dataclass
class ViewSet:
    """(n, side, side, 3) uint8 views with integer labels (-1 for images outside the class list) and index rows."""

    views: np.ndarray
    labels: np.ndarray
    rows: list[dict]

    def descriptors(self) -> np.ndarray:
        """(n, len(DESCRIPTOR_KEYS)) float32 anatomy descriptors of the photos; NaN rows where a photo has none
        (wood-coloured textures, expert-labelled field photos). Raises when no photo has one (a dataset generated
        before descriptors existed: wood generator < 1.1)."""
        from smartinspect.wood.datagen.anatomy import DESCRIPTOR_KEYS

        out = np.full((len(self.rows), len(DESCRIPTOR_KEYS)), np.nan, np.float32)
        for i, row in enumerate(self.rows):
            d = (row.get("params") or {}).get("anatomy_descriptor")
            if d is not None:
                out[i] = [d[k] for k in DESCRIPTOR_KEYS]
        if self.rows and np.isnan(out).all():
            raise ValueError(f"no photo of {self.rows[0]['file'].split('/')[0]}/... has an anatomy descriptor: the "
                             f"dataset was made by wood generator < 1.1; generate it again")
        return out


def dataset_fingerprint(dataset_dir: Path) -> str:
    """sha256 of images.jsonl (every file name, label and generation parameter)."""
    return hashlib.sha256((Path(dataset_dir) / "images.jsonl").read_bytes()).hexdigest()


def decode_view(path: Path, side: int) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise OSError(f"could not read {path}")
    return analysis_view(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), side)


def load_views(dataset_dir: Path, split: str, *, taxa: list[str], side: int, cache_dir: Path | None = None,
               limit_per_taxon: int | None = None) -> ViewSet:
    """Views of ``split`` ("train", "val", "test", "open_set", "ood"), cached under ``cache_dir`` when given."""
    dataset_dir = Path(dataset_dir)
    rows = [r for r in read_index(dataset_dir) if r["split"] == split]
    if limit_per_taxon is not None:
        seen: dict[str, int] = {}
        kept = []
        for r in rows:
            if seen.get(r["name"], 0) < limit_per_taxon:
                seen[r["name"]] = seen.get(r["name"], 0) + 1
                kept.append(r)
        rows = kept
    index = {t: i for i, t in enumerate(taxa)}
    labels = np.array([index.get(r["taxon"], -1) for r in rows], np.int64)
    cache = None
    if cache_dir is not None:
        key = hashlib.sha256(json.dumps([dataset_fingerprint(dataset_dir), split, side, limit_per_taxon]).encode())
        cache = Path(cache_dir) / f"wood-views-{key.hexdigest()[:16]}.npy"
        if cache.is_file():
            return ViewSet(np.load(cache), labels, rows)
    views = np.stack([decode_view(dataset_dir / r["file"], side) for r in rows]) if rows else np.zeros(
        (0, side, side, 3), np.uint8)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, views)
        tmp.replace(cache)
    return ViewSet(views, labels, rows)


class CropSampler:
    """Random training crops of the views: position, flips, 90-degree turns, mild exposure and colour jitter."""

    def __init__(self, views: ViewSet, *, crop: int, seed: int, colour_jitter: float = 0.08) -> None:
        if len(views.views) == 0:
            raise ValueError("no training views")
        self.views = views
        self.crop = crop
        self.rng = np.random.default_rng(seed)
        self.colour_jitter = colour_jitter

    def epoch(self, batch_size: int):
        """Yields (x (b, 3, crop, crop) float32 0-255, y (b,) int64, indices of the views (b,)) over one shuffled
        pass."""
        order = self.rng.permutation(len(self.views.views))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            yield self.batch(idx), self.views.labels[idx], idx

    def batch(self, idx: np.ndarray) -> np.ndarray:
        side = self.views.views.shape[1]
        out = np.empty((len(idx), self.crop, self.crop, 3), np.float32)
        for k, i in enumerate(idx):
            y, x = self.rng.integers(0, side - self.crop + 1, size=2)
            patch = self.views.views[i, y:y + self.crop, x:x + self.crop]
            patch = np.rot90(patch, int(self.rng.integers(0, 4)))
            if self.rng.random() < 0.5:
                patch = patch[:, ::-1]
            gain = 1.0 + self.rng.uniform(-self.colour_jitter, self.colour_jitter, size=3) + self.rng.uniform(
                -self.colour_jitter, self.colour_jitter)
            out[k] = np.clip(patch * gain, 0, 255)
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
