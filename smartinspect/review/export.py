"""Export the feedback store as a training dataset in the model lifecycle's format (``lifecycle/feedback.py``).

Each decision's example (``<data_dir>/feedback/<task>/<decision id>/``, rebuilt from the blob store when this
machine does not have it: decided on another replica) is checked against the sha256 its decision row recorded, then handed to the lifecycle writer: X-ray examples become a snapshot that
``smartinspect train xray --with-feedback DIR`` imports; wood examples a wood snapshot. The lifecycle format has
no document kind yet, so document examples stay in the feedback store (see docs/review.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.domain.review import LabelTask
from smartinspect.lifecycle.feedback import (
    FeedbackSnapshot,
    WoodFeedbackExample,
    XrayFeedbackExample,
    write_wood_feedback,
    write_xray_feedback,
)
from smartinspect.review.feedback import ANNOTATION_FILE, feedback_root, read_annotation, restore_example
from smartinspect.storage.blobs import BlobNotFound, BlobStore
from smartinspect.storage.models_review import ReviewDecision

EXPORTABLE = (LabelTask.xray, LabelTask.wood)


class ExportError(ValueError):
    """The feedback store does not match the database (a file changed or went missing), or a label is unusable."""


def _labelled(db: Session, task: LabelTask, since: datetime | None) -> list[ReviewDecision]:
    query = select(ReviewDecision).where(ReviewDecision.label_task == task.value,
                                         ReviewDecision.label_path.is_not(None))
    if since is not None:
        query = query.where(ReviewDecision.created_at >= since)
    return list(db.scalars(query.order_by(ReviewDecision.id)))


def _checked_annotation(root: Path, row: ReviewDecision, blobs: BlobStore | None) -> dict:
    path = root / str(row.label_path) / ANNOTATION_FILE
    if not path.is_file() and blobs is not None and row.label_sha256:
        try:
            restore_example(root, blobs, relative_path=str(row.label_path), annotation_sha256=row.label_sha256)
        except (BlobNotFound, ValueError) as exc:
            raise ExportError(f"decision {row.id}: its example is neither in {root} nor in {blobs!r} ({exc})") from exc
    if not path.is_file():
        raise ExportError(f"decision {row.id}: its example {path} is missing from the feedback store")
    if hashlib.sha256(path.read_bytes()).hexdigest() != row.label_sha256:
        raise ExportError(f"decision {row.id}: {path} changed after the decision (sha256 differs from the row)")
    return read_annotation(root, str(row.label_path))


def _source(row: ReviewDecision) -> dict:
    return {"case_id": row.instruction_id, "decision_id": row.id, "decision": row.decision,
            "decided_by": row.actor, "decided_at": row.created_at.isoformat(), "source_id": row.source_id,
            "declaration_no": row.declaration_no}


def _read_image(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ExportError(f"cannot read {path}")
    return image


def _xray_examples(root: Path, rows: list[ReviewDecision], classes: list[str],
                   blobs: BlobStore | None) -> Iterator[XrayFeedbackExample]:
    for row in rows:
        annotation = _checked_annotation(root, row, blobs)
        folder = root / str(row.label_path)
        info = annotation["image"]
        unknown = sorted({b["class_name"] for b in annotation["boxes"]} - set(classes))
        if unknown:
            raise ExportError(f"decision {row.id}: classes {unknown} are not the model's {classes}")
        boxes = tuple((classes.index(b["class_name"]), tuple(float(v) for v in b["box"]))
                      for b in annotation["boxes"])
        low = _read_image(folder / info["low_file"]) if info.get("low_file") else None
        yield XrayFeedbackExample(f"review-{row.id:06d}", _read_image(folder / info["file"]), boxes,
                                  float(info["pixel_pitch_mm"]), _source(row) | {"scan_id": row.source_id}, low)


def _wood_examples(root: Path, rows: list[ReviewDecision], blobs: BlobStore | None) -> Iterator[WoodFeedbackExample]:
    for row in rows:
        annotation = _checked_annotation(root, row, blobs)
        folder = root / str(row.label_path)
        for i, name in enumerate(sorted(annotation["images"])):
            data, suffix = (folder / name).read_bytes(), Path(name).suffix.lower()
            if suffix not in (".png", ".jpg", ".jpeg"):  # webp/tiff: the lifecycle format takes PNG/JPEG
                ok, png = cv2.imencode(".png", _read_image(folder / name))
                data, suffix = png.tobytes(), ".png"
                if not ok:
                    raise ExportError(f"decision {row.id}: cannot re-encode {name} as PNG")
            yield WoodFeedbackExample(f"review-{row.id:06d}-{i}", data, suffix, annotation["genus"],
                                      annotation.get("species"), _source(row) | {"screening_id": row.source_id})


def export_feedback(db: Session, *, data_dir: Path, out_dir: Path, task: LabelTask, classes: list[str],
                    since: datetime | None = None, blobs: BlobStore | None = None) -> FeedbackSnapshot:
    """Write the ``task`` examples decided since ``since`` as a lifecycle snapshot in ``out_dir``.

    ``classes``: the X-ray detector's class names, in order (box class ids index it). Re-exporting the same
    decisions to the same directory is a no-op; other content there is refused by the writer. ``blobs``: the
    store examples missing from ``data_dir`` are rebuilt from (None: they are an error).
    """
    if task not in EXPORTABLE:
        valid = ", ".join(t.value for t in EXPORTABLE)
        raise ExportError(f"task {task.value!r} cannot be exported: the lifecycle format has {valid}")
    root = feedback_root(data_dir)
    rows = _labelled(db, task, since)
    if task == LabelTask.xray:
        return write_xray_feedback(out_dir, _xray_examples(root, rows, classes, blobs), classes=classes)
    return write_wood_feedback(out_dir, _wood_examples(root, rows, blobs))
