"""The API with its blobs on S3 (a real SeaweedFS on loopback, started by tests/conftest.py): scans, overlays,
documents and page images round-trip through the bucket; nothing lands in the local blob folder; the collector
deletes orphans only; recovery and ``db gc-blobs`` use the configured store; a store that is down answers 503."""

from __future__ import annotations

import json
import uuid

import cv2
import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from smartinspect.storage.blobrefs import collect_garbage, row_references
from smartinspect.storage.models import Scan
from smartinspect.storage.s3blobs import S3BlobStore
from tests.s3_server import settings_on


@pytest.fixture
def settings(settings, s3_server):
    # blobs on S3; the shipped registry's OCR sessions are used as they are (as in test_documents_api.py)
    on_s3 = settings_on(settings, s3_server, f"api-{uuid.uuid4().hex[:12]}")
    return on_s3.model_copy(update={"ocr_intra_op_threads": settings.onnx_intra_op_threads, "document_max_pages": 3})


def _png(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", image)
    assert ok
    return buffer.tobytes()


def _page() -> bytes:
    from smartinspect.ocr.bench_pages import render_text_page

    return _png(render_text_page(["COMMERCIAL INVOICE", "Invoice No.: INV-2026-0424", "Total: USD 980.00"]))


def _post_scan(client, key, scan):
    data = {"scanner_id": "portal-3", "scanned_at": "2026-11-23T08:00:00Z", "pixel_pitch_mm": "5.0",
            "container_no": scan.manifest["container_no"]}
    files = {"image": ("scan.png", _png(scan.high), "image/png"), "image_low": ("low.png", _png(scan.low), "image/png")}
    return client.post("/v1/scans", files=files, data=data, headers={"Authorization": f"Bearer {key}"})


def test_scans_and_documents_keep_their_blobs_on_s3(client, app, settings, make_key, sample_scans):
    blobs = app.state.blob_store
    assert isinstance(blobs, S3BlobStore) and blobs.prefix.startswith("api-")
    auth = {"Authorization": f"Bearer {make_key('officer')}"}
    scan = _post_scan(client, make_key("scanner"), sample_scans["firearm"])
    assert scan.status_code == 201, scan.text
    overlay = client.get(scan.json()["links"]["overlay"], headers=auth)
    assert overlay.status_code == 200 and overlay.headers["content-type"] == "image/png"
    document = client.post("/v1/documents", files={"file": ("invoice.png", _page(), "image/png")},
                           data={"doc_type": "invoice"}, headers=auth)
    assert document.status_code == 201, document.text
    body = document.json()
    assert body["status"] == "processed"
    page = client.get(f"/v1/documents/{body['id']}/pages/0.png", headers=auth)
    assert page.status_code == 200 and page.content[:8] == b"\x89PNG\r\n\x1a\n"

    with app.state.session_factory() as session:
        named = row_references(session)
        orphan = blobs.put(b"written by an upload whose row never committed")
        assert collect_garbage(session, blobs, feedback_root=None, min_age_s=3600).young_orphans == 1  # kept
        report = collect_garbage(session, blobs, feedback_root=None, min_age_s=0)  # everything counts as old
    assert len(named) >= 4  # high, low, document file, page image
    assert report.orphans == [orphan] and report.missing == {}
    assert {info.digest for info in blobs.iter_blobs()} == set(named)  # every named blob kept, the orphan gone
    assert all(blobs.verify(digest) for digest in named)
    assert not settings.blob_dir.exists()  # nothing on local disk


def test_a_blob_store_that_is_down_answers_503_and_stores_no_row(client, app, settings, make_key, sample_scans):
    key = make_key("scanner")
    down = settings.model_copy(update={"blob_s3_endpoint": "http://127.0.0.1:9", "blob_s3_connect_timeout_s": 1.0})
    app.state.blob_store = S3BlobStore.from_settings(down)
    response = _post_scan(client, key, sample_scans["clean"])
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "blob_store_unavailable" and response.headers["Retry-After"]
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Scan)) == 0


def test_wrong_credentials_stop_the_api_at_start(app, settings):
    from fastapi.testclient import TestClient

    from smartinspect.storage.blobs import BlobStoreUnavailable

    app.state.settings = settings.model_copy(update={"blob_s3_secret_key": SecretStr("not-the-secret")})
    with pytest.raises(BlobStoreUnavailable), TestClient(app):
        pass


def test_recovery_and_the_gc_command_use_the_configured_store(settings, monkeypatch):
    from smartinspect.cli import app as cli
    from smartinspect.config import REPO_ROOT, get_settings
    from smartinspect.documents.service import DocumentUpload, check_upload, recover_pending_documents, store_document
    from smartinspect.storage.apikeys import create_api_key
    from smartinspect.storage.blobs import make_blob_store
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    settings = settings.model_copy(update={"models_dir": REPO_ROOT / "models"})
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    upload = DocumentUpload(_page(), "crash.png", "invoice", "DEC-CRASH")
    with make_session_factory(engine)() as session:
        key, _ = create_api_key(session, name="officer", role="officer")
        session.commit()
        document, _ = store_document(session, make_blob_store(settings), upload=upload,
                                     intake=check_upload(upload, settings), api_key_id=key.id, idempotency_key=None)
        document_id = document.id  # the process "crashes" here: stored on S3, never processed
    engine.dispose()
    assert recover_pending_documents(settings) == [document_id]

    env = {"DATA_DIR": settings.data_dir, "DATABASE_URL": settings.database_url, "BLOB_URL": settings.blob_url,
           "BLOB_S3_ENDPOINT": settings.blob_s3_endpoint, "BLOB_S3_REGION": settings.blob_s3_region,
           "BLOB_S3_ACCESS_KEY": settings.blob_s3_access_key.get_secret_value(),
           "BLOB_S3_SECRET_KEY": settings.blob_s3_secret_key.get_secret_value()}
    for name, value in env.items():
        monkeypatch.setenv(f"SMARTINSPECT_{name}", str(value))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["db", "gc-blobs", "--dry-run", "--min-age-s", "0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["blobs"] == report["referenced"] >= 2 and report["orphans"] == 0  # the file and its page image
    assert report["rows_without_blob"] == {}
