"""POST/GET /v1/documents through the real app, the shipped OCR models, a real database and blob store."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from smartinspect.config import REPO_ROOT
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_documents import Document, DocumentPage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "ocr"))
from pdf_samples import encrypted_pdf, zero_page_pdf


@pytest.fixture
def settings(settings):
    # the test registry's sessions are used as they are (no second set of OCR sessions per test)
    return settings.model_copy(update={"ocr_intra_op_threads": settings.onnx_intra_op_threads,
                                       "document_max_pages": 3})


@pytest.fixture(scope="module")
def consignment():
    """The four documents of one generated consignment whose B/L carries a planted gross-weight mismatch."""
    from smartinspect.documents.datagen.generate import DocGenConfig, generate_consignment

    config = DocGenConfig(layouts=("kv",), plant_fraction=1.0, plant_kinds=("weight_mismatch",),
                          degradation_mix=(1.0, 0.0, 0.0), zh_fraction=0.0)
    _, planted, docs = generate_consignment(np.random.default_rng(7), "api_test", config)
    assert planted.document == "bill_of_lading" and planted.field == "gross_weight"
    return {doc.doc_type: _png(doc.image) for doc in docs}


def _png(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", image)
    assert ok
    return buffer.tobytes()


def _post(client, key, data: bytes, *, name="doc.png", media="image/png", idem=None, **form):
    headers = {"Authorization": f"Bearer {key}"}
    if idem:
        headers["Idempotency-Key"] = idem
    return client.post("/v1/documents", files={"file": (name, data, media)}, data=form, headers=headers)


def _count(app, model=Document):
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def _blob_files(settings) -> list[Path]:
    return [p for p in settings.blob_dir.rglob("*") if p.is_file()] if settings.blob_dir.exists() else []


def test_document_round_trip_with_fields_pages_and_finding(client, app, make_key, consignment):
    key = make_key("officer")
    resp = _post(client, key, consignment["invoice"], doc_type="invoice", declaration_no="224820261000000021", idem="inv-1")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "processed" and body["doc_type"] == "invoice" and body["verdict"] in {
        "CLEAR", "REVIEW", "INSPECT"}
    (page,) = body["pages"]
    assert page["source"] == "ocr" and len(page["lines"]) > 10 and page["text"].count("\n") == len(page["lines"]) - 1
    names = {f["name"] for f in body["fields"]}
    assert {"invoice_no", "total_value", "currency"} <= names
    assert all(f["polygons"] for f in body["fields"] if not f["derived"])
    assert {"detect_ms", "recognize_ms"} <= set(body["timings_ms"]) and "ocr-rec" in body["models"]
    auth = {"Authorization": f"Bearer {key}"}
    again = client.get(body["links"]["self"], headers=auth)
    assert again.status_code == 200 and again.json()["fields"] == body["fields"]
    image = client.get(page["image"], headers=auth)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    decoded = cv2.imdecode(np.frombuffer(image.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[:2] == (page["height"], page["width"])
    assert client.get(f"/v1/documents/{body['id']}/pages/5.png", headers=auth).status_code == 404
    with app.state.session_factory() as session:
        finding = session.scalar(select(ClearanceFinding).where(ClearanceFinding.source_id == body["id"]))
        assert finding.source == "document" and finding.declaration_no == "224820261000000021"
        assert finding.verdict == body["verdict"] and finding.payload["doc_type"] == "invoice"
        assert {"discrepancies", "validation_errors"} <= set(finding.payload)


def test_retries_are_idempotent_and_a_reused_key_is_refused(client, app, make_key, consignment):
    key = make_key("officer")
    first = _post(client, key, consignment["packing_list"], idem="retry-1", declaration_no="224820261000000022")
    again = _post(client, key, consignment["packing_list"], idem="retry-1", declaration_no="224820261000000022")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["fields"] == first.json()["fields"]
    other = _post(client, key, consignment["invoice"], idem="retry-1", declaration_no="224820261000000022")
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert _count(app) == 1 and _count(app, DocumentPage) == 1


def test_documents_are_cross_checked_within_a_declaration(client, make_key, consignment):
    key = make_key("officer")
    packing = _post(client, key, consignment["packing_list"], doc_type="packing_list", declaration_no="224820261000000023")
    bill = _post(client, key, consignment["bill_of_lading"], doc_type="bill_of_lading", declaration_no="224820261000000023")
    assert packing.status_code == 201 and bill.status_code == 201
    flagged = {d["field"] for d in bill.json()["discrepancies"]}
    assert "gross_weight" in flagged, bill.json()["discrepancies"]
    weight = next(d for d in bill.json()["discrepancies"] if d["field"] == "gross_weight")
    assert bill.json()["name"] in weight["documents"] and weight["severity"] in {"medium", "high"}
    assert bill.json()["verdict"] in {"REVIEW", "INSPECT"}
    assert packing.json()["name"] in weight["documents"] and packing.json()["name"].startswith("packing_list:")


def _jpeg(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "name", "status", "code"), [
    (b"", "empty.pdf", 422, "empty_file"),
    (b"GIF89a" + bytes(200), "x.gif", 415, "not_a_document"),
    (b"%PDF-1.7\n" + bytes(range(256)) * 8, "broken.pdf", 422, "broken_pdf"),
    (encrypted_pdf(), "locked.pdf", 422, "encrypted_pdf"),
    (zero_page_pdf(), "empty.pdf", 422, "no_pages"),
    (_jpeg((5000, 9000)), "huge.jpg", 413, "too_many_pixels"),
])
def test_bad_input_gets_a_4xx_and_nothing_is_stored(client, app, make_key, settings, data, name, status, code):
    key = make_key("officer")
    resp = _post(client, key, data, name=name, media="application/octet-stream", declaration_no="224820261000000029")
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]
    assert _count(app) == 0 and _count(app, ClearanceFinding) == 0
    assert _blob_files(settings) == []


def _xray_like(seed: int = 3) -> bytes:
    """A grey transmission image: attenuation bands, dense blobs, detector noise; no text anywhere."""
    rng = np.random.default_rng(seed)
    image = np.full((600, 1400), 225.0)
    image[150:480, 80:1320] -= 70 + 20 * np.sin(np.linspace(0, 30, 1240))[None, :]
    for _ in range(12):
        x, y = int(rng.integers(100, 1250)), int(rng.integers(170, 430))
        cv2.ellipse(image, (x, y), (int(rng.integers(15, 70)), int(rng.integers(10, 40))), float(rng.uniform(0, 180)),
                    0, 360, float(rng.uniform(30, 120)), -1)
    image = np.clip(cv2.GaussianBlur(image, (0, 0), 2.0) + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)
    return _png(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))


REAL_XRAY = REPO_ROOT.parent / "shared" / "data" / "xray-real-samples" / "images"


@pytest.mark.parametrize(("name", "data", "hint"), [
    ("blank.jpg", _jpeg(), None),  # readable image, no text anywhere
    ("xray.png", _xray_like(), "invoice"),  # an X-ray uploaded as an invoice: the hint is a claim, not evidence
])
def test_an_upload_without_a_readable_document_is_never_clear(client, app, make_key, name, data, hint):
    key = make_key("officer")
    form = {"doc_type": hint} if hint else {}
    resp = _post(client, key, data, name=name, media="application/octet-stream", declaration_no="224820261000000031", **form)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["verdict"] == "REVIEW", body
    assert [v["code"] for v in body["validations"] if not v["ok"]] == ["document_unreadable"]
    with app.state.session_factory() as session:
        finding = session.scalars(select(ClearanceFinding)).one()
        assert finding.verdict == "REVIEW" and finding.declaration_no == "224820261000000031"


@pytest.mark.skipif(not REAL_XRAY.is_dir(), reason=f"real X-ray samples not present at {REAL_XRAY}")
def test_a_real_xray_image_uploaded_as_a_document_goes_to_an_officer(client, make_key):
    path = sorted(REAL_XRAY.glob("*.png"))[0]
    resp = _post(client, make_key("officer"), path.read_bytes(), name=path.name, doc_type="invoice")
    assert resp.status_code == 201, resp.text
    assert resp.json()["verdict"] == "REVIEW"
    assert "document_unreadable" in {v["code"] for v in resp.json()["validations"] if not v["ok"]}


def test_too_many_pages_and_oversized_uploads(client, app, make_key, settings):
    key = make_key("officer")
    pages = [Image.new("RGB", (200, 280), "white") for _ in range(4)]
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:])
    resp = _post(client, key, buffer.getvalue(), name="long.pdf", media="application/pdf")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "too_many_pages"
    big = b"%PDF-1.4\n" + bytes(settings.document_max_bytes)
    resp = _post(client, key, big, name="big.pdf", media="application/pdf")
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
    resp = _post(client, key, _jpeg(), name="x.jpg", doc_type="passport")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "invalid_doc_type"
    assert _count(app) == 0 and _blob_files(settings) == []


def test_roles(client, make_key, consignment):
    scanner, expert = make_key("scanner"), make_key("expert")
    assert _post(client, scanner, consignment["invoice"]).status_code == 403
    assert _post(client, expert, consignment["invoice"]).status_code == 403
    missing = client.get("/v1/documents/nope", headers={"Authorization": f"Bearer {expert}"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_not_found"
    assert client.get("/v1/documents/nope", headers={"Authorization": f"Bearer {scanner}"}).status_code == 403


def test_a_document_left_unprocessed_by_a_crash_is_recovered(settings):
    from smartinspect.documents.service import DocumentUpload, check_upload, recover_pending_documents, store_document
    from smartinspect.ocr.bench_pages import render_text_page
    from smartinspect.storage.apikeys import create_api_key
    from smartinspect.storage.blobs import LocalBlobStore
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    models_dir = Path(os.environ.get("SMARTINSPECT_TEST_MODELS_DIR", REPO_ROOT / "models"))  # the shipped models
    settings = settings.model_copy(update={"models_dir": models_dir, "onnx_warmup": False})
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    upload = DocumentUpload(_png(render_text_page(["COMMERCIAL INVOICE", "Invoice No.: INV-2026-0099",
                                                   "Total: USD 1,250.00"])), "crash.png", "invoice", "DEC-CRASH")
    with make_session_factory(engine)() as session:
        key, _ = create_api_key(session, name="officer", role="officer")
        session.commit()
        document, _ = store_document(session, LocalBlobStore(settings.blob_dir), upload=upload,
                                     intake=check_upload(upload, settings), api_key_id=key.id, idempotency_key=None)
        document_id = document.id  # the process "crashes" here: stored, never processed
    assert recover_pending_documents(settings) == [document_id]
    with make_session_factory(engine)() as session:
        document = session.get(Document, document_id)
        assert document.status == "processed" and len(document.pages) == 1
        assert "INV-2026-0099" in str(document.text)
        finding = session.scalar(select(ClearanceFinding).where(ClearanceFinding.source_id == document_id))
        assert finding.declaration_no == "DEC-CRASH"
    engine.dispose()
