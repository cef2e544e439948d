"""The feedback dataset: expert-labelled examples exported from review decisions, read back by retraining.

Layout of one snapshot directory (docs/lifecycle.md has the full description)::

    manifest.json              format, kind, snapshot_id, created_at, classes, examples, counts, content_sha256
    images/<id>.png            X-ray: the full scan, 16-bit gray PNG; wood: the image as received (.png/.jpg)
    images_low/<id>.png        X-ray, optional: the second (low) energy channel
    labels/<id>.txt            X-ray: one object per line, ``class_id x1 y1 x2 y2`` in scan pixels; empty = clean

Wood labels (genus, optional species) live in the manifest's example entries. ``content_sha256`` covers the
entries and every file's bytes, so a snapshot is immutable: the reader refuses one that changed. The issue-6
exporter calls :func:`write_xray_feedback` / :func:`write_wood_feedback`; retraining calls
:func:`read_feedback`. numpy + OpenCV only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np

FORMAT = "smartinspect-feedback"
FORMAT_VERSION = 1
KINDS = ("xray", "wood")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_WOOD_SUFFIXES = {".png", ".jpg", ".jpeg"}


class FeedbackFormatError(ValueError):
    """A snapshot (or what is being written as one) does not follow the feedback format."""


@dataclass(frozen=True)
class XrayFeedbackExample:
    """One reviewed scan. ``boxes``: (class_id, (x1, y1, x2, y2)) in scan pixels; empty for a cleared scan."""

    example_id: str
    image: np.ndarray  # (H, W) uint16 (8-bit gray and (H, W, 3) pseudo-colour are widened to 16 bit)
    boxes: tuple[tuple[int, tuple[float, float, float, float]], ...]
    pitch_mm: float
    source: dict[str, Any] = field(default_factory=dict)  # scan_id, case_id, decision, decided_by, decided_at
    image_low: np.ndarray | None = None


@dataclass(frozen=True)
class WoodFeedbackExample:
    """One reviewed wood image: encoded bytes as received and the expert's genus (and species when known)."""

    example_id: str
    image: bytes
    suffix: str  # ".png", ".jpg" or ".jpeg"
    genus: str
    species: str | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedbackSnapshot:
    """A snapshot read from disk (content verified). Examples load lazily."""

    path: Path
    kind: Literal["xray", "wood"]
    snapshot_id: str
    content_sha256: str
    created_at: str
    classes: tuple[str, ...]
    entries: tuple[dict[str, Any], ...]
    counts: dict[str, Any]

    def lineage(self) -> dict[str, Any]:
        """What training records about the snapshot (MLflow params and model-version tags)."""
        return {"feedback_snapshot": self.snapshot_id, "feedback_sha256": self.content_sha256,
                "feedback_examples": len(self.entries), "feedback_created_at": self.created_at}

    def xray_examples(self) -> Iterator[XrayFeedbackExample]:
        self._expect("xray")
        for entry in self.entries:
            image = _read_png(self.path / entry["image"])
            low = _read_png(self.path / entry["image_low"]) if entry.get("image_low") else None
            boxes = _parse_labels((self.path / entry["labels"]).read_text(), len(self.classes), entry["id"])
            yield XrayFeedbackExample(entry["id"], image, boxes, float(entry["pitch_mm"]),
                                      dict(entry.get("source", {})), low)

    def wood_examples(self) -> Iterator[WoodFeedbackExample]:
        self._expect("wood")
        for entry in self.entries:
            path = self.path / entry["image"]
            yield WoodFeedbackExample(entry["id"], path.read_bytes(), path.suffix, entry["genus"],
                                      entry.get("species"), dict(entry.get("source", {})))

    def _expect(self, kind: str) -> None:
        if self.kind != kind:
            raise FeedbackFormatError(f"{self.path}: a {self.kind} snapshot has no {kind} examples")


# ---------------------------------------------------------------- writing


def write_xray_feedback(out_dir: Path, examples: Iterable[XrayFeedbackExample], *, classes: list[str],
                        created_at: datetime | None = None) -> FeedbackSnapshot:
    """Write an X-ray snapshot atomically (staging directory, then rename). Returns it as read back.

    Idempotent: writing the same content to an existing snapshot returns it; different content is refused.
    """
    def write(staging: Path) -> list[dict[str, Any]]:
        entries = []
        for ex in examples:
            _check_id(ex.example_id)
            for class_id, box in ex.boxes:
                _check_box(ex.example_id, class_id, box, len(classes), ex.image.shape)
            if not ex.pitch_mm > 0:
                raise FeedbackFormatError(f"example {ex.example_id}: pitch_mm must be > 0, got {ex.pitch_mm}")
            entry: dict[str, Any] = {"id": ex.example_id, "image": f"images/{ex.example_id}.png",
                                     "labels": f"labels/{ex.example_id}.txt", "pitch_mm": float(ex.pitch_mm),
                                     "objects": len(ex.boxes), "source": ex.source}
            _write_png(staging / entry["image"], _as_uint16(ex.image))
            if ex.image_low is not None:
                entry["image_low"] = f"images_low/{ex.example_id}.png"
                _write_png(staging / entry["image_low"], _as_uint16(ex.image_low))
            lines = "".join(f"{c} {x1:.1f} {y1:.1f} {x2:.1f} {y2:.1f}\n" for c, (x1, y1, x2, y2) in ex.boxes)
            (staging / entry["labels"]).parent.mkdir(parents=True, exist_ok=True)
            (staging / entry["labels"]).write_text(lines)
            entries.append(entry)
        return entries

    return _write_snapshot(out_dir, "xray", list(classes), write, created_at)


def write_wood_feedback(out_dir: Path, examples: Iterable[WoodFeedbackExample], *,
                        created_at: datetime | None = None) -> FeedbackSnapshot:
    """Write a wood snapshot (images as received, genus/species in the manifest); same guarantees as X-ray."""
    def write(staging: Path) -> list[dict[str, Any]]:
        entries = []
        for ex in examples:
            _check_id(ex.example_id)
            suffix = ex.suffix.lower()
            if suffix not in _WOOD_SUFFIXES or not ex.genus.strip():
                msg = (f"example {ex.example_id}: needs a genus and an image suffix in {sorted(_WOOD_SUFFIXES)}, "
                       f"got genus {ex.genus!r}, suffix {ex.suffix!r}")
                raise FeedbackFormatError(msg)
            entry = {"id": ex.example_id, "image": f"images/{ex.example_id}{suffix}", "genus": ex.genus.strip(),
                     "species": ex.species, "source": ex.source}
            (staging / "images").mkdir(parents=True, exist_ok=True)
            (staging / entry["image"]).write_bytes(ex.image)
            entries.append(entry)
        return entries

    return _write_snapshot(out_dir, "wood", [], write, created_at)


def _write_snapshot(out_dir: Path, kind: str, classes: list[str], write, created_at: datetime | None) -> FeedbackSnapshot:
    out_dir = Path(out_dir)
    staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        entries = sorted(write(staging), key=lambda e: e["id"])
        ids = [e["id"] for e in entries]
        if len(set(ids)) != len(ids):
            dupes = sorted(k for k, n in Counter(ids).items() if n > 1)
            raise FeedbackFormatError(f"example ids must be unique; repeated: {dupes}")
        content = content_sha256(staging, kind, classes, entries)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
            "snapshot_id": f"{kind}-{content[:16]}",
            "created_at": (created_at or datetime.now(UTC)).isoformat(timespec="seconds"),
            "classes": classes, "examples": entries, "counts": _counts(kind, classes, entries),
            "content_sha256": content,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if out_dir.exists():
            existing = read_feedback(out_dir)
            if existing.content_sha256 != content:
                raise FeedbackFormatError(f"{out_dir} already holds snapshot {existing.snapshot_id} with other content")
            return existing
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return read_feedback(out_dir)


def _counts(kind: str, classes: list[str], entries: list[dict[str, Any]]) -> dict[str, Any]:
    decisions = Counter(str(e.get("source", {}).get("decision", "unknown")) for e in entries)
    counts: dict[str, Any] = {"examples": len(entries), "source_decisions": dict(sorted(decisions.items()))}
    if kind == "xray":
        counts["objects"] = sum(e["objects"] for e in entries)
        counts["clean_examples"] = sum(1 for e in entries if e["objects"] == 0)
    else:
        counts["by_genus"] = dict(sorted(Counter(e["genus"] for e in entries).items()))
    return counts


# ---------------------------------------------------------------- reading


def read_feedback(path: Path, *, kind: str | None = None, classes: list[str] | None = None) -> FeedbackSnapshot:
    """Read and verify a snapshot: format, kind, classes (when given) and content sha256."""
    path = Path(path)
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise FeedbackFormatError(f"{path} is not a feedback snapshot: it has no manifest.json")
    raw = json.loads(manifest_path.read_text())
    if raw.get("format") != FORMAT or raw.get("format_version") != FORMAT_VERSION:
        raise FeedbackFormatError(f"{manifest_path}: format {raw.get('format')!r} v{raw.get('format_version')}; "
                                  f"expected {FORMAT!r} v{FORMAT_VERSION}")
    if raw.get("kind") not in KINDS or (kind is not None and raw["kind"] != kind):
        raise FeedbackFormatError(f"{manifest_path}: kind {raw.get('kind')!r}; expected {kind or ' or '.join(KINDS)}")
    if classes is not None and raw.get("kind") == "xray" and list(raw.get("classes", [])) != list(classes):
        raise FeedbackFormatError(f"{manifest_path}: classes {raw.get('classes')} differ from the model's {classes}")
    entries = list(raw.get("examples", []))
    for entry in entries:
        _check_id(entry.get("id", ""))
        for key in ("image", "image_low", "labels"):
            if entry.get(key) and not _inside(path, entry[key]):
                raise FeedbackFormatError(f"{manifest_path}: example {entry['id']} names a file outside the snapshot")
    actual = content_sha256(path, raw["kind"], list(raw.get("classes", [])), entries)
    if actual != raw.get("content_sha256"):
        raise FeedbackFormatError(f"{path}: content sha256 {actual} does not match the manifest's "
                                  f"{raw.get('content_sha256')}; the snapshot was changed after export")
    return FeedbackSnapshot(path, raw["kind"], raw["snapshot_id"], actual, raw.get("created_at", ""),
                            tuple(raw.get("classes", [])), tuple(entries), raw.get("counts", {}))


def content_sha256(root: Path, kind: str, classes: list[str], entries: list[dict[str, Any]]) -> str:
    """sha256 over kind, classes, each entry (canonical JSON) and the bytes of every file it names."""
    digest = hashlib.sha256(json.dumps({"kind": kind, "classes": classes}, sort_keys=True).encode())
    for entry in sorted(entries, key=lambda e: e["id"]):
        digest.update(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode())
        for key in ("image", "image_low", "labels"):
            if entry.get(key):
                file = root / entry[key]
                if not file.is_file():
                    raise FeedbackFormatError(f"example {entry['id']}: {entry[key]} is missing from {root}")
                digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


# ---------------------------------------------------------------- helpers


def _check_id(example_id: str) -> None:
    if not _ID.match(example_id or ""):
        raise FeedbackFormatError(f"example id {example_id!r} must match {_ID.pattern} (it names files)")


def _inside(root: Path, relative: str) -> bool:
    return (root / relative).resolve().is_relative_to(root.resolve())


def _check_box(example_id: str, class_id: int, box, n_classes: int, shape) -> None:
    x1, y1, x2, y2 = box
    h, w = shape[:2]
    if not 0 <= class_id < n_classes:
        raise FeedbackFormatError(f"example {example_id}: class id {class_id} outside 0..{n_classes - 1}")
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise FeedbackFormatError(f"example {example_id}: box {box} is not inside the {w}x{h} scan")


def _parse_labels(text: str, n_classes: int, example_id: str) -> tuple[tuple[int, tuple[float, float, float, float]], ...]:
    boxes = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 5:
            raise FeedbackFormatError(f"labels of {example_id}, line {number}: expected 'class x1 y1 x2 y2'")
        class_id = int(parts[0])
        if not 0 <= class_id < n_classes:
            raise FeedbackFormatError(f"labels of {example_id}, line {number}: class id {class_id} unknown")
        x1, y1, x2, y2 = (float(v) for v in parts[1:])
        boxes.append((class_id, (x1, y1, x2, y2)))
    return tuple(boxes)


def _as_uint16(image: np.ndarray) -> np.ndarray:
    """Scans are stored 16 bit. 8-bit values are widened (x257): the pipeline reads transmission, a ratio."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.dtype == np.uint16:
        return image
    if image.dtype == np.uint8:
        return image.astype(np.uint16) * 257
    raise FeedbackFormatError(f"scan images must be uint8 or uint16, got {image.dtype}")


def _write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise OSError(f"could not write {path}")


def _read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FeedbackFormatError(f"cannot read image {path}")
    return image
