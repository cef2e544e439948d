"""Non-documents are never CLEAR: no text, a few stray marks, or words that are not a document get the failed
check ``document_unreadable`` (REVIEW); real documents do not."""

from __future__ import annotations

import pytest

from smartinspect.documents.check import check_document, finding_verdict
from smartinspect.documents.readable import unreadable_reason
from smartinspect.ocr.types import DocumentText, PageText


def _unreadable(check) -> bool:
    return any(v.code == "document_unreadable" and not v.ok for v in check.validations)


@pytest.mark.parametrize(("name", "lines", "hint"), [
    ("no text", [], None),
    ("no text, typed as an invoice by the officer", [], "invoice"),
    ("an X-ray: a few stray marks", [("8", 40, 40), ("II", 300, 200), ("0.5", 500, 90)], "invoice"),
    ("a photo: a shop sign and a poster", [("OPEN", 40, 40), ("WELCOME TO THE BEACH", 200, 300),
                                           ("Summer sale at the harbour", 100, 600)], None),
])
def test_uploads_without_a_readable_document_go_to_an_officer(doc, name, lines, hint):
    text = doc(lines) if lines else DocumentText([PageText(0, 800, 600, "ocr", 0.0, [])], "image/png")
    check = check_document(text, type_hint=hint)
    assert _unreadable(check), name
    assert finding_verdict(check) == "REVIEW"


def test_low_confidence_marks_are_not_legible_text(doc):
    text = doc([("SOME BLURRED WORDS READ BADLY", 20, 20), ("MORE BLURRED MARKS HERE", 20, 60)], confidence=0.5)
    assert "legible" in unreadable_reason(text, check_document(text).extraction)


@pytest.mark.parametrize(("name", "lines"), [
    ("a receipt", [("KEDAI BUKU CERIA SDN BHD", 150, 20), ("NO 5, JALAN MAWAR 2, KAJANG", 150, 50),
                   ("Date: 12-01-19", 20, 120), ("SUBTOTAL", 20, 160), ("15.90", 500, 160), ("TOTAL", 20, 190),
                   ("15.95", 500, 190)]),
    ("a commercial invoice", [("COMMERCIAL INVOICE", 400, 20), ("Invoice No.: INV-2025-0042", 20, 80),
                              ("Invoice Date: 2025-03-14", 20, 110), ("Seller: ACME TRADING CO., LTD.", 20, 140),
                              ("Total Amount: USD 12,345.00", 20, 400)]),
])
def test_documents_are_readable(doc, name, lines):
    check = check_document(doc(lines))
    assert not _unreadable(check), (name, [v.message for v in check.validations if not v.ok])
