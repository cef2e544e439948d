"""Read a generated (or imported) X-ray dataset: scans, their manifests and ground-truth boxes. No torch."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class ScanRecord:
    """One generated scan on disk and its ground truth."""

    scan_id: str
    split: str
    image_path: Path
    low_path: Path | None
    manifest: dict

    @property
    def boxes(self) -> list[tuple[int, list[float]]]:
        return [(t["class_id"], t["box"]) for t in self.manifest.get("threats", [])]


def iter_scans(dataset_dir: Path, split: str) -> Iterator[ScanRecord]:
    for manifest_path in sorted((dataset_dir / "manifests" / split).glob("*.json")):
        manifest = json.loads(manifest_path.read_text())
        scan_id = manifest_path.stem
        low = dataset_dir / "images_low" / split / f"{scan_id}.png"
        yield ScanRecord(
            scan_id, split, dataset_dir / "images" / split / f"{scan_id}.png", low if low.exists() else None, manifest
        )


def dataset_fingerprint(dataset_dir: Path) -> str:
    """sha256 over dataset.json and every manifest: changes whenever the data or its labels change."""
    digest = hashlib.sha256((dataset_dir / "dataset.json").read_bytes())
    for path in sorted((dataset_dir / "manifests").rglob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_scan(record: ScanRecord) -> np.ndarray:
    image = cv2.imread(str(record.image_path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(f"cannot read scan image {record.image_path}")
    return image


def load_low(record: ScanRecord) -> np.ndarray | None:
    """The scan's low-energy image, or None for a single-energy scan."""
    if record.low_path is None:
        return None
    image = cv2.imread(str(record.low_path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(f"cannot read low-energy image {record.low_path}")
    return image
