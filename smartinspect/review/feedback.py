"""The feedback store: each decision's labelled example (image + corrected annotations) under the data dir.

One directory per decision, ``<feedback_root>/<task>/<decision id, 6 digits>/``, holding the image file(s)
exactly as stored (hard-linked from the blob store when possible) and ``annotation.json``. The directory is
written to a temp name and renamed, so it is either complete or absent; the decision row records its path and
the annotation's sha256. ``smartinspect datasets export-feedback`` turns the store into the training dataset.

The annotation is also put in the blob store (named by that same sha256; its images are blobs already), so the
example can be rebuilt where the directory is not: on another API replica, or on the machine that exports
(:func:`restore_example`). With blobs on S3 that is what keeps the examples of stateless replicas.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartinspect.domain.review import LabelTask
from smartinspect.storage.blobs import BlobStore, is_digest

ANNOTATION_FILE = "annotation.json"
FEEDBACK_FORMAT = "smartinspect-review-feedback/1"


@dataclass(frozen=True)
class ExampleImage:
    """One image of an example: the blob it comes from and the file name it gets (``image.png``, ``low.png``...)."""

    name: str
    sha256: str


@dataclass(frozen=True)
class LabelledExample:
    """What a decision teaches: images and annotations (boxes in image pixels, a genus, document fields)."""

    task: LabelTask
    decision_id: int
    images: tuple[ExampleImage, ...]
    annotation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenExample:
    relative_path: str  # "<task>/<decision id>", relative to the feedback root
    annotation_sha256: str


def feedback_root(data_dir: Path) -> Path:
    return data_dir / "feedback"


def write_example(root: Path, blobs: BlobStore, example: LabelledExample) -> WrittenExample:
    """Write ``example`` atomically (temp dir, then rename); an earlier copy of the same decision is replaced."""
    relative = f"{example.task.value}/{example.decision_id:06d}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".tmp-{example.decision_id:06d}-"))
    try:
        for image in example.images:
            blobs.copy_to(image.sha256, staging / image.name)  # a hard link on a local store
        annotation = {"format": FEEDBACK_FORMAT, "task": example.task.value, "decision_id": example.decision_id,
                      "images": {i.name: i.sha256 for i in example.images}, **example.annotation}
        data = json.dumps(annotation, indent=2, sort_keys=True, ensure_ascii=False).encode()
        blobs.put(data)  # the shared copy: restore_example rebuilds the directory from it anywhere
        (staging / ANNOTATION_FILE).write_bytes(data)
        if target.exists():  # a retried decision whose first commit failed
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WrittenExample(relative, hashlib.sha256(data).hexdigest())


def restore_example(root: Path, blobs: BlobStore, *, relative_path: str, annotation_sha256: str) -> None:
    """Rebuild the example directory ``relative_path`` from the blob store: the annotation blob, then the image
    blobs it names (atomically, as :func:`write_example`). BlobNotFound when a blob is gone; ValueError when the
    annotation names something that is not a plain file name or a digest."""
    data = blobs.get(annotation_sha256)  # content-addressed: these are the bytes the decision row recorded
    images = json.loads(data).get("images", {})
    if not all(isinstance(n, str) and n == Path(n).name and not n.startswith(".") and is_digest(d)
               for n, d in images.items()):
        raise ValueError(f"the annotation {annotation_sha256} names unusable images: {sorted(images)}")
    target = root / relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".restore-"))
    try:
        for name, digest in images.items():
            blobs.copy_to(digest, staging / name)
        (staging / ANNOTATION_FILE).write_bytes(data)
        if target.exists():  # restored meanwhile by another export
            shutil.rmtree(staging)
            return
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def remove_example(root: Path, relative_path: str) -> None:
    """Undo :func:`write_example` when the decision's transaction did not commit."""
    shutil.rmtree(root / relative_path, ignore_errors=True)


def read_annotation(root: Path, relative_path: str) -> dict[str, Any]:
    return json.loads((root / relative_path / ANNOTATION_FILE).read_text())
