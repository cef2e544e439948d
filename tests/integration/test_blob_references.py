"""Blobs are never deleted while something names them: a document refused for "no text" keeps the blob a scan
shares with it; an idempotency conflict writes no blob; the collector deletes only old, unreferenced blobs and
reports rows whose blob is missing."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from smartinspect.documents.service import DocumentUpload, process_document, store_document
from smartinspect.ocr.engine import ReadPage, ReadResult
from smartinspect.ocr.intake import IntakeDocument, IntakePage
from smartinspect.ocr.types import PageText
from smartinspect.storage.blobrefs import collect_garbage
from smartinspect.storage.models import ApiKey, Scan
from smartinspect.storage.scans import IdempotencyKeyReused
from smartinspect.xray.service import ScanMetadata, check_upload, store_scan


class NoTextEngine:
    """OCR that finds nothing (a photo of a wall), as the real engine does on a blank page."""

    models: dict = {}

    def read_intake(self, intake: IntakeDocument) -> ReadResult:
        pages = [ReadPage(PageText(p.index, p.image.shape[1], p.image.shape[0], "ocr", 0.0, []), p.image)
                 for p in intake.pages]
        return ReadResult(pages)


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    image = (rng.random((256, 512)) * 60000).astype(np.uint16)
    return cv2.imencode(".png", image)[1].tobytes()


def _key_id(app, make_key) -> int:
    make_key("scanner")
    with app.state.session_factory() as session:
        return session.scalar(select(ApiKey.id))


def _store_scan(app, settings, key_id: int, data: bytes, idem: str | None = None):
    meta = ScanMetadata("gate-1", "MSCU1234566", None, datetime(2026, 12, 6, tzinfo=UTC), 5.0, None)
    with app.state.session_factory() as session:
        return store_scan(session, app.state.blob_store, upload=check_upload(data, None, settings), metadata=meta,
                          api_key_id=key_id, idempotency_key=idem)[0]


def test_a_no_text_document_keeps_the_blob_a_scan_shares(client, app, settings, make_key):
    """A document with no text used to be deleted with its content-addressed blob, which a scan of the same bytes
    still used (its overlay then failed). Now such a document is kept for review (document_unreadable), and a
    blob is deleted only when nothing names it (storage/blobrefs.py, tested below with the collector)."""
    data = _png(1)
    key_id = _key_id(app, make_key)
    scan = _store_scan(app, settings, key_id, data)
    upload = DocumentUpload(data, "same-bytes.png", None, None)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    intake = IntakeDocument("image/png", [IntakePage(0, image)])
    with app.state.session_factory() as session:
        document, _ = store_document(session, app.state.blob_store, upload=upload, intake=intake,
                                     api_key_id=key_id, idempotency_key=None)
        process_document(session, app.state.blob_store, NoTextEngine(), document, settings=settings, intake=intake)
        assert document.verdict == "REVIEW"
        assert "document_unreadable" in {v["code"] for v in document.result["check"]["validations"] if not v["ok"]}
    assert app.state.blob_store.get(scan.image_sha256) == data  # the scan's image survived, whole


def test_an_idempotency_conflict_writes_no_blob(client, app, settings, make_key):
    key_id = _key_id(app, make_key)
    _store_scan(app, settings, key_id, _png(3), idem="retry-1")
    before = sorted(p.name for p in settings.blob_dir.rglob("*") if p.is_file())
    with pytest.raises(IdempotencyKeyReused):
        _store_scan(app, settings, key_id, _png(4), idem="retry-1")
    assert sorted(p.name for p in settings.blob_dir.rglob("*") if p.is_file()) == before


def test_the_collector_deletes_old_orphans_only_and_reports_missing_blobs(client, app, settings, make_key):
    blobs = app.state.blob_store
    key_id = _key_id(app, make_key)
    kept = _store_scan(app, settings, key_id, _png(5))
    old_orphan, young_orphan = blobs.put(b"old orphan"), blobs.put(b"young orphan")
    long_ago = time.time() - 7200
    for digest in (old_orphan, kept.image_sha256):
        os.utime(blobs.path(digest), (long_ago, long_ago))
    feedback = settings.data_dir / "feedback" / "xray" / "000001"
    feedback.mkdir(parents=True)
    named = blobs.put(b"cut for a feedback example")
    os.utime(blobs.path(named), (long_ago, long_ago))
    (feedback / "annotation.json").write_text(f'{{"images": {{"scan.png": "{named}"}}}}')
    with app.state.session_factory() as session:
        dry = collect_garbage(session, blobs, feedback_root=settings.data_dir / "feedback", dry_run=True)
        assert dry.orphans == [old_orphan] and dry.young_orphans == 1 and blobs.exists(old_orphan)
        report = collect_garbage(session, blobs, feedback_root=settings.data_dir / "feedback")
    assert report.orphans == [old_orphan] and report.deleted_bytes == len(b"old orphan")
    assert not blobs.exists(old_orphan)
    assert blobs.exists(young_orphan) and blobs.exists(kept.image_sha256) and blobs.exists(named)
    assert report.missing == {}
    blobs.path(kept.image_sha256).unlink()  # lost on disk: the collector says which row misses its blob
    with app.state.session_factory() as session:
        assert collect_garbage(session, blobs, feedback_root=None, dry_run=True).missing == {
            kept.image_sha256: Scan.__tablename__}


def test_gc_command(client, settings, monkeypatch):
    from smartinspect.cli import app as cli
    from smartinspect.config import get_settings

    for name, value in {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url,
                        "BLOB_DIR": settings.blob_dir}.items():
        monkeypatch.setenv(f"SMARTINSPECT_{name}", str(value))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["db", "gc-blobs", "--dry-run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert '"rows_without_blob": {}' in result.output and '"dry_run": true' in result.output
