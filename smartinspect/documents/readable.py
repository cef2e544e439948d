"""Is there a readable document at all? An upload with no text, an X-ray image or a photo must not come back
CLEAR: it gets the failed check ``document_unreadable`` and so goes to an officer (REVIEW).

A document is readable when its OCR has enough legible characters and either its words name a document type
(the officer's type hint does not count: it is a claim, not evidence) or at least two key elements were read.
"""

from __future__ import annotations

from smartinspect.documents.types import DocType, DocumentExtraction, Severity, Validation
from smartinspect.ocr.types import DocumentText

MIN_LEGIBLE_CHARS = 20  # letters and digits on lines read with confidence >= MIN_LINE_CONFIDENCE
MIN_LINE_CONFIDENCE = 0.8
MIN_KEY_ELEMENTS = 2
KEY_ELEMENTS = ("invoice_no", "invoice_date", "total_value", "consignor_name", "consignee_name", "declaration_no",
                "bl_no", "container_numbers", "hs_codes", "gross_weight")
CODE = "document_unreadable"


def unreadable_reason(text: DocumentText, extraction: DocumentExtraction) -> str | None:
    """Why the upload is not a readable document, or None when it is one."""
    from smartinspect.documents.extract import classify
    from smartinspect.documents.geometry import flatten

    lines = [ln for page in text.pages for ln in page.lines]
    if not lines:
        return "no text was found on any page"
    legible = sum(ch.isalnum() for ln in lines if ln.confidence >= MIN_LINE_CONFIDENCE for ch in ln.text)
    if legible < MIN_LEGIBLE_CHARS:
        return f"only {legible} legible characters: no readable document"
    doc_type, _ = classify(flatten(text), None)
    keys = {f.name for f in extraction.fields if f.name in KEY_ELEMENTS and not f.derived}
    if doc_type == DocType.unknown and len(keys) < MIN_KEY_ELEMENTS:
        return (f"no document type in its words and {len(keys)} key element(s) read "
                f"(at least {MIN_KEY_ELEMENTS} needed): not a readable document")
    return None


def readability_check(text: DocumentText, extraction: DocumentExtraction) -> Validation | None:
    """The failed ``document_unreadable`` check (medium: REVIEW by an officer), or None for a document."""
    reason = unreadable_reason(text, extraction)
    return None if reason is None else Validation("document", CODE, False, reason, Severity.medium)
