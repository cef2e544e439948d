"""Who uses a blob, and collecting the ones nobody uses.

A blob is content-addressed, so one file can back several rows (the same bytes sent as a scan and as a
document). A blob is referenced by scans (both energy channels), documents (the file and each page image), wood
screening images, and the experts' feedback examples (their annotations, themselves blobs named by the decision
rows, name the image blobs they were cut from; the local copies under the feedback root are read too).
Nothing in the request path deletes a blob: only :func:`collect_garbage` does, and only blobs that no row and no
feedback example names and that have not been written or re-used for ``min_age_s`` (an upload writes its blob
just before its row commits; ``BlobStore.put`` refreshes the ``used_at`` of a blob it finds already there: the
access time on a local store, the ``LastModified`` of the object on S3).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.storage.blobs import BlobNotFound, BlobStore
from smartinspect.storage.models import Scan
from smartinspect.storage.models_documents import Document, DocumentPage
from smartinspect.storage.models_review import ReviewDecision
from smartinspect.storage.models_wood import WoodScreeningImage

log = logging.getLogger(__name__)
_COLUMNS = (Scan.image_sha256, Scan.image_low_sha256, Document.file_sha256, DocumentPage.image_sha256,
            WoodScreeningImage.image_sha256)
# Keeps its blob, but a missing one is not reported: examples decided before annotations went into the blob store
# exist only as the local directory
_KEEPING_COLUMNS = (ReviewDecision.label_sha256,)


def row_references(session: Session) -> dict[str, str]:
    """Every digest a row names -> one of the tables naming it (for reports)."""
    found: dict[str, str] = {}
    for column in _COLUMNS:
        for digest in session.scalars(select(column).where(column.is_not(None)).distinct()):
            found.setdefault(digest, column.class_.__tablename__)
    return found


def feedback_references(feedback_root: Path | None) -> set[str]:
    """Digests named by feedback examples (``images`` of each ``annotation.json`` under ``feedback_root``)."""
    found: set[str] = set()
    if feedback_root is None or not feedback_root.is_dir():
        return found
    for annotation in feedback_root.rglob("annotation.json"):
        try:
            images = json.loads(annotation.read_text()).get("images", {})
        except (OSError, ValueError, AttributeError):
            log.warning("unreadable feedback annotation %s: its blobs are kept", annotation)
            continue
        found.update(d for d in images.values() if isinstance(d, str))
    return found


def example_references(session: Session, blobs: BlobStore) -> set[str]:
    """Image digests named by the feedback annotations kept in the blob store (one read per labelled decision)."""
    found: set[str] = set()
    for digest in session.scalars(select(ReviewDecision.label_sha256).where(ReviewDecision.label_sha256.is_not(None))):
        try:
            images = json.loads(blobs.get(digest)).get("images", {})
        except BlobNotFound:
            continue  # reported as a row without its blob
        except (ValueError, AttributeError):
            log.warning("unreadable feedback annotation blob %s: its images are kept", digest)
            continue
        found.update(d for d in images.values() if isinstance(d, str))
    return found


def blob_in_use(session: Session, digest: str, *, feedback_root: Path | None = None) -> bool:
    for column in (*_COLUMNS, *_KEEPING_COLUMNS):
        if session.scalar(select(column).where(column == digest).limit(1)) is not None:
            return True
    return digest in feedback_references(feedback_root)


@dataclass
class GcReport:
    blobs: int = 0
    referenced: int = 0
    orphans: list[str] = field(default_factory=list)  # unreferenced and old enough
    young_orphans: int = 0  # unreferenced but within min_age_s: kept (an upload may be committing)
    deleted_bytes: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # digest a row names -> table, with no blob on disk
    dry_run: bool = True

    def to_json(self) -> dict:
        return {"blobs": self.blobs, "referenced": self.referenced, "orphans": len(self.orphans),
                "young_orphans_kept": self.young_orphans, "deleted_bytes": self.deleted_bytes,
                "rows_without_blob": self.missing, "dry_run": self.dry_run}


def collect_garbage(session: Session, blobs: BlobStore, *, feedback_root: Path | None, min_age_s: float = 3600.0,
                    dry_run: bool = False) -> GcReport:
    """Delete blobs nothing references (older than ``min_age_s``); report rows whose blob is missing."""
    cutoff = time.time() - min_age_s
    candidates = {info.digest for info in blobs.iter_blobs()}  # listed before the references are read
    rows = row_references(session)
    examples = set(session.scalars(select(ReviewDecision.label_sha256).where(ReviewDecision.label_sha256.is_not(None))))
    referenced = set(rows) | examples | feedback_references(feedback_root) | example_references(session, blobs)
    report = GcReport(blobs=len(candidates), referenced=len(referenced & candidates), dry_run=dry_run)
    report.missing = {d: table for d, table in rows.items() if d not in candidates and not blobs.exists(d)}
    for digest in sorted(candidates - referenced):
        try:
            info = blobs.stat(digest)  # now, not at listing time: a put may have re-used it since
        except BlobNotFound:
            continue
        if info.used_at > cutoff:  # written, or re-used by a put, lately
            report.young_orphans += 1
            continue
        report.orphans.append(digest)
        if not dry_run and not blob_in_use(session, digest):  # re-checked: a row may have arrived meanwhile
            blobs.delete(digest)
            report.deleted_bytes += info.size
    return report


def delete_if_unreferenced(session: Session, blobs: BlobStore, digest: str, *, written_before: float,
                           feedback_root: Path | None = None) -> bool:
    """Delete one blob that a request wrote and then dropped (e.g. a document with no text), unless anything
    names it or it was re-used since ``written_before`` (epoch s; ``BlobStore.put`` refreshes the time of a blob it
    finds, so a concurrent upload of the same bytes keeps it). True when deleted."""
    try:
        if blobs.stat(digest).used_at > written_before:
            return False
    except BlobNotFound:
        return False
    if blob_in_use(session, digest, feedback_root=feedback_root):
        return False
    blobs.delete(digest)
    return True
