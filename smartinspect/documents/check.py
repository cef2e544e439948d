"""One call for the service: extract, validate and cross-check an uploaded document against the declaration
and the consignment's other documents, and the payload handed to clearance (``record_finding``).
"""

from __future__ import annotations

from typing import Any

from smartinspect.documents.crosscheck import cross_check
from smartinspect.documents.extract import extract_document
from smartinspect.documents.readable import readability_check
from smartinspect.documents.types import DocumentCheck, DocumentExtraction, Severity
from smartinspect.documents.validate import validate_extraction
from smartinspect.ocr.types import DocumentText


def check_document(text: DocumentText, *, type_hint: str | None = None,
                   others: dict[str, DocumentExtraction] | None = None,
                   declaration: DocumentExtraction | None = None, name: str | None = None) -> DocumentCheck:
    """Extraction, validations and the discrepancies that concern this document.

    ``others``: extractions of the consignment's other documents, keyed by a name used in the result (e.g.
    ``"invoice:3f2a…"``); ``declaration``: the filed declaration (see ``declaration_to_extraction``);
    ``name``: this document's key in the result (default: its detected type).
    """
    extraction = extract_document(text, type_hint=type_hint)
    key = name or extraction.doc_type.value
    docs = {**(others or {}), key: extraction}
    discrepancies = [d for d in cross_check(docs, declaration=declaration) if key in d.documents]
    validations = validate_extraction(extraction)
    unreadable = readability_check(text, extraction)
    return DocumentCheck(extraction, validations + ([unreadable] if unreadable else []), discrepancies)


def finding_verdict(check: DocumentCheck) -> str:
    """CLEAR (consistent), REVIEW (a medium/low issue) or INSPECT (a high-severity discrepancy or invalid code)."""
    worst = check.worst_severity
    if worst is None:
        return "CLEAR"
    return "INSPECT" if worst == Severity.high else "REVIEW"


def finding_payload(check: DocumentCheck) -> dict[str, Any]:
    """The JSON handed to clearance: what the rule fields ``finding.document.*`` read (doc_type,
    discrepancies with field and severity, validation_errors with code) plus the full extraction."""
    return {
        "verdict": finding_verdict(check),
        "doc_type": check.extraction.doc_type.value,
        "discrepancies": [d.to_json() for d in check.discrepancies],
        "validation_errors": [v.to_json() for v in check.validations if not v.ok],
        "extraction": check.extraction.to_json(),
    }
