"""Wood and document cases with their real records: images served through the case, labels, export."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from smartinspect.domain.review import LabelTask
from smartinspect.lifecycle.feedback import read_feedback
from smartinspect.review.export import ExportError, export_feedback
from smartinspect.storage.models import ApiKey
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.models_documents import Document, DocumentPage
from smartinspect.storage.models_wood import WoodScreening, WoodScreeningImage


def _png(shape, value) -> bytes:
    ok, buf = cv2.imencode(".png", np.full(shape, value, np.uint8))
    assert ok
    return buf.tobytes()


def _key_id(session) -> int:
    return session.scalar(select(ApiKey.id).limit(1))


def test_wood_case_shows_images_and_notes_and_exports_a_genus_label(app, client, settings, make_key, make_case,
                                                                    tmp_path):
    key = {"X-API-Key": make_key("expert")}
    case_id = make_case(1, source="wood")
    image = _png((64, 48, 3), 120)
    with app.state.session_factory() as session:
        sha = app.state.blob_store.put(image)
        screening = WoodScreening(id="wood-1", status="analysed", declaration_no="224820261000000001",
                                  declared_species="Khaya ivorensis", n_images=1, api_key_id=_key_id(session),
                                  request_sha256="0" * 64, abstained=True,
                                  result={"images": [{"position": 0, "call": None, "abstain_reason": "not_wood_like",
                                                      "gate": {"passed": False, "failures": ["colour_not_class"]}}]})
        screening.images = [WoodScreeningImage(position=0, image_sha256=sha, image_format="png", width=48,
                                               height=64)]
        session.add(screening)
        session.commit()
    detail = client.get(f"/v1/review/cases/{case_id}", headers=key).json()
    assert detail["wood"]["image_urls"] == [f"/v1/review/cases/{case_id}/wood/images/0"] and "wood" not in detail["notes"]
    served = client.get(detail["wood"]["image_urls"][0], headers=key)
    assert served.status_code == 200 and served.content == image and served.headers["content-type"] == "image/png"
    assert client.get(f"/v1/review/cases/{case_id}/wood/images/1", headers=key).status_code == 404
    page = client.get(f"/review/cases/{case_id}", headers=key).text
    assert "Swietenia (Meliaceae)" in page and 'list="genus-options"' in page
    # Why the model abstained, for the whole screening and per photo, with the gate's check in words.
    assert detail["wood"]["reasons"] == [{"code": "abstained_not_wood_like",
                                          "message": "a photo does not look like an end-grain photo of wood"}]
    (photo,) = detail["wood"]["photos"]
    assert photo["abstain_reason"] == "not_wood_like" and photo["gate"][0]["code"] == "colour_not_class"
    assert "not the colour of the timber the model called it" in page and "abstained_not_wood_like" in page

    decided = client.post(f"/v1/review/cases/{case_id}/decision", headers=key, json={
        "decision": "confirm", "comment": "ring-porous, not Khaya", "labels": {"genus": "Swietenia"}}).json()
    assert decided["label"]["task"] == "wood" and decided["result"] == "discrepancy"
    annotation = json.loads((settings.data_dir / "feedback" / decided["label"]["path"] / "annotation.json").read_text())
    assert annotation["genus"] == "Swietenia" and annotation["corrected"] is True
    with app.state.session_factory() as session:
        snapshot = export_feedback(session, data_dir=settings.data_dir, out_dir=tmp_path / "wood", task=LabelTask.wood,
                                   classes=[])
    (example,) = list(read_feedback(snapshot.path, kind="wood").wood_examples())
    assert example.genus == "Swietenia" and example.image == image and example.source["case_id"] == case_id

    # a replica that did not take the decision (or the exporting machine) has no local copy: without the blob
    # store that is an error, with it the example is rebuilt from the annotation blob the row names
    elsewhere = tmp_path / "other-replica"
    with app.state.session_factory() as session, pytest.raises(ExportError, match="missing"):
        export_feedback(session, data_dir=elsewhere, out_dir=tmp_path / "wood-nothing", task=LabelTask.wood,
                        classes=[])
    with app.state.session_factory() as session:
        rebuilt = export_feedback(session, data_dir=elsewhere, out_dir=tmp_path / "wood-elsewhere",
                                  task=LabelTask.wood, classes=[], blobs=app.state.blob_store)
    (copy,) = list(read_feedback(rebuilt.path, kind="wood").wood_examples())
    assert copy.genus == example.genus and copy.image == example.image and copy.source == example.source
    assert (elsewhere / "feedback" / decided["label"]["path"] / "annotation.json").read_bytes() == (
        settings.data_dir / "feedback" / decided["label"]["path"] / "annotation.json").read_bytes()


def _document(session, blobs, *, doc_id: str, number: str) -> str:
    page_sha = blobs.put(_png((200, 100), 255))
    check = {"extraction": {"doc_type": "invoice", "fields": [
        {"name": "invoice_no", "value": "INV-2026-0001", "page": 0, "polygons": [[[10, 10], [60, 10], [60, 20],
                                                                                  [10, 20]]]},
        {"name": "total_value", "value": "52,000.00", "page": 0, "polygons": [[[10, 150], [90, 150], [90, 160],
                                                                               [10, 160]]]}]},
        "validations": [], "discrepancies": [{"field": "total_value", "severity": "high",
                                              "message": "invoice total differs from the declaration"}]}
    document = Document(id=doc_id, status="processed", declaration_no=number, doc_type="invoice",
                        filename="invoice.pdf", media_type="application/pdf", size_bytes=1000, file_sha256="1" * 64,
                        page_count=1, api_key_id=_key_id(session), request_sha256="2" * 64, verdict="REVIEW",
                        result={"check": check})
    document.pages = [DocumentPage(page_index=0, width=100, height=200, source="ocr", angle=0.0,
                                   image_sha256=page_sha, line_count=2)]
    session.add(document)
    return page_sha


def test_document_case_highlights_fields_and_labels_corrections(app, client, settings, make_key, make_case):
    key = {"X-API-Key": make_key("expert")}
    case_id = make_case(3, source="document")
    with app.state.session_factory() as session:
        number = session.get(Instruction, case_id).declaration_no
        _document(session, app.state.blob_store, doc_id="document-3", number=number)
        _document(session, app.state.blob_store, doc_id="packing-3", number=number)
        session.commit()
    detail = client.get(f"/v1/review/cases/{case_id}", headers=key).json()
    (page,) = detail["document"]["pages"]
    assert [f["name"] for f in page["fields"]] == ["invoice_no", "total_value"]
    assert [f["flagged"] for f in page["fields"]] == [False, True]
    assert client.get(page["url"], headers=key).headers["content-type"] == "image/png"
    assert [d["id"] for d in detail["related_documents"]] == ["document-3", "packing-3"]
    assert client.get(detail["related_documents"][1]["first_page_url"], headers=key).status_code == 200
    assert client.get(f"/v1/review/cases/{case_id}/related/nope/pages/0.png", headers=key).status_code == 404
    html = client.get(f"/review/cases/{case_id}", headers=key).text
    assert 'class="field flagged" data-field="total_value"' in html and "10.0,150.0 90.0,150.0" in html

    url = f"/v1/review/cases/{case_id}/decision"
    unknown = client.post(url, headers=key, json={"decision": "confirm", "comment": "x", "fields": {"iban": "1"}})
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_field"
    decided = client.post(url, headers=key, json={"decision": "confirm", "comment": "total misread",
                                                  "fields": {"total_value": "42,000.00"}}).json()
    annotation = json.loads((settings.data_dir / "feedback" / decided["label"]["path"] / "annotation.json").read_text())
    corrected = {f["name"]: (f["value"], f["corrected"]) for f in annotation["fields"]}
    assert corrected == {"invoice_no": ("INV-2026-0001", False), "total_value": ("42,000.00", True)}
    assert (settings.data_dir / "feedback" / decided["label"]["path"] / "page_0.png").is_file()
