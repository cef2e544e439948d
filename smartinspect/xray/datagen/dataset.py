"""Write a generated dataset to disk: 16-bit PNG scans, YOLO labels, per-scan manifests, dataset.json, data.yaml.

Scan i always uses the child seed ``np.random.SeedSequence(seed).spawn(n_scans)[i]`` (spawn key ``(i,)``), so its
content does not depend on ``workers`` and the same seed writes byte-identical files.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from smartinspect.xray.datagen.config import XrayGenConfig
from smartinspect.xray.datagen.generate import GENERATOR_VERSION, SyntheticScan, generate_scan
from smartinspect.xray.datagen.parts import CLASS_NAMES

SPLITS = ("train", "val", "test")
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]  # noisy 16-bit scans barely compress further
DEFAULT_CONFIG = XrayGenConfig()


@dataclass(frozen=True)
class ScanJob:
    """Everything a worker needs to make and write scan ``index``."""

    index: int
    scan_id: str
    split: str
    seed: int
    config: XrayGenConfig
    out_dir: Path


@dataclass(frozen=True)
class ScanSummary:
    split: str
    threats: int
    is_empty: bool
    declared_empty: bool


def assign_splits(n_scans: int, splits: tuple[float, float, float], seed: int) -> list[str]:
    """Split name per scan index: counts proportional to ``splits`` (largest remainders), shuffled by ``seed``."""
    if len(splits) != 3 or min(splits) < 0 or abs(sum(splits) - 1.0) > 1e-6:
        raise ValueError(f"splits must be 3 non-negative fractions (train, val, test) summing to 1, got {splits}")
    exact = np.asarray(splits, float) * n_scans
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts), kind="stable")[: n_scans - counts.sum()]:
        counts[i] += 1
    names = np.repeat(np.array(SPLITS), counts)
    return [str(s) for s in np.random.default_rng([seed, 2]).permutation(names)]


def yolo_lines(scan: SyntheticScan) -> str:
    """One "cls cx cy w h" line per box, normalised to the image size."""
    h, w = scan.high.shape
    lines = []
    for cls, x1, y1, x2, y2 in scan.boxes:
        lines.append(f"{cls} {(x1 + x2) / 2 / w:.6f} {(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} {(y2 - y1) / h:.6f}")
    return "".join(line + "\n" for line in lines)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_scan(job: ScanJob) -> ScanSummary:
    """Generate scan ``job.index`` from its child seed and write its files. Runs in worker processes."""
    child = np.random.SeedSequence(job.seed, spawn_key=(job.index,))
    scan = generate_scan(np.random.default_rng(child), job.config)
    out, split, sid = job.out_dir, job.split, job.scan_id
    _imwrite(out / "images" / split / f"{sid}.png", scan.high)
    if scan.low is not None:
        _imwrite(out / "images_low" / split / f"{sid}.png", scan.low)
    (out / "labels" / split / f"{sid}.txt").write_text(yolo_lines(scan))
    manifest = {"scan_id": sid, "split": split, "seed": job.seed, "index": job.index, **scan.manifest}
    text = json.dumps(manifest, indent=2, default=_json_default)
    (out / "manifests" / split / f"{sid}.json").write_text(text + "\n")
    m = scan.manifest
    return ScanSummary(split, len(scan.boxes), bool(m["is_empty"]), bool(m["declared_empty"]))


def _imwrite(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, PNG_PARAMS):
        raise OSError(f"could not write {path}")


def _run(jobs: list[ScanJob], workers: int) -> Iterator[ScanSummary]:
    if workers <= 1:
        yield from map(write_scan, jobs)
        return
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(write_scan, jobs, chunksize=1)


def generate_dataset(out_dir: Path, *, n_scans: int, seed: int, config: XrayGenConfig = DEFAULT_CONFIG,
                     splits: tuple[float, float, float] = (0.7, 0.15, 0.15), workers: int = 1,
                     progress: bool = True) -> Path:
    """Generate ``n_scans`` scans into ``out_dir`` (layout in datasets/xray/README.md). Returns dataset.json's path."""
    if n_scans < 1:
        raise ValueError(f"n_scans must be >= 1, got {n_scans}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    out_dir = Path(out_dir)
    names = assign_splits(n_scans, tuple(splits), seed)
    for sub in ("images", "labels", "manifests") + (("images_low",) if config.dual_energy else ()):
        for split in SPLITS:
            (out_dir / sub / split).mkdir(parents=True, exist_ok=True)
    jobs = [ScanJob(i, f"xray_s{seed}_{i:05d}", names[i], seed, config, out_dir) for i in range(n_scans)]
    results = _run(jobs, workers)
    if progress:
        from tqdm import tqdm

        results = tqdm(results, total=n_scans, desc="datagen xray", unit="scan")
    counts = {s: {"scans": 0, "threats": 0, "empty": 0, "declared_empty": 0} for s in SPLITS}
    for summary in results:
        c = counts[summary.split]
        c["scans"] += 1
        c["threats"] += summary.threats
        c["empty"] += summary.is_empty
        c["declared_empty"] += summary.declared_empty
    _write_data_yaml(out_dir)
    info = {"generator": "smartinspect.xray.datagen", "generator_version": GENERATOR_VERSION, "seed": seed,
            "n_scans": n_scans, "splits": list(splits), "class_names": list(CLASS_NAMES),
            "pitch_mm": config.pitch_mm, "dual_energy": config.dual_energy, "config": config.to_dict(),
            "counts": counts}
    path = out_dir / "dataset.json"
    path.write_text(json.dumps(info, indent=2) + "\n")
    return path


def _write_data_yaml(out_dir: Path) -> None:
    names = "".join(f"  {i}: {name}\n" for i, name in enumerate(CLASS_NAMES))
    text = (f"# Full-size 16-bit scans (smartinspect datagen xray); the training pipeline tiles them.\n"
            f"path: {json.dumps(str(out_dir.resolve()))}\ntrain: images/train\nval: images/val\ntest: images/test\n"
            f"names:\n{names}")
    (out_dir / "data.yaml").write_text(text)
