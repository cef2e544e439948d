"""The document in expert review (a ``CaseSource``): its pages and extracted fields with what is wrong with them
as evidence; the corrected fields a decision teaches; the fields an escalation asks the inspectors to check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from smartinspect.domain.review import LabelTask
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.feedback import ExampleImage
from smartinspect.review.labels import ExampleSpec, LabelRefused
from smartinspect.review.types import DecisionInput
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.models_documents import Document


@dataclass(frozen=True)
class DocumentEvidence:
    """A document: its pages (image blobs, sizes), the extracted fields with polygons, what is wrong with it."""

    document_id: str
    title: str
    fields: list[dict[str, Any]]  # {name, value, page, polygons, flagged}
    pages: list[dict[str, Any]]  # {number, sha256, width, height, url}
    discrepancies: list[str]


def _check_of(document, finding: ClearanceFinding | None) -> dict[str, Any]:
    """The document check (extraction, validations, discrepancies): the stored result, else the finding's."""
    result = (document.result if document is not None else None) or {}
    check = result.get("check") if isinstance(result.get("check"), dict) else None
    return check or ((finding.payload if finding is not None else None) or {})


def _problems(check: dict[str, Any]) -> tuple[list[str], set[str]]:
    """Messages of the discrepancies and failed validations, and the field names they concern."""
    found = [d for d in check.get("discrepancies") or [] if isinstance(d, dict)]
    found += [v for v in check.get("validations") or check.get("validation_errors") or []
              if isinstance(v, dict) and not v.get("ok", False)]
    return [str(p.get("message", p.get("code", ""))) for p in found], {str(p.get("field")) for p in found}


def document_evidence(db: Session, instruction: Instruction, finding: ClearanceFinding | None, *,
                      case_id: int) -> tuple[DocumentEvidence | None, str | None]:
    document = db.get(Document, instruction.source_id or "")
    if document is None:
        return None, f"Not available: document {instruction.source_id} is not in this database."
    check = _check_of(document, finding)
    messages, flagged = _problems(check)
    fields = [{"name": f["name"], "value": f.get("value", ""), "page": int(f.get("page", 0)),
               "polygons": f.get("polygons") or [], "flagged": f["name"] in flagged}
              for f in (check.get("extraction") or {}).get("fields") or [] if isinstance(f, dict) and f.get("name")]
    pages = [{"number": p.page_index, "sha256": p.image_sha256, "width": p.width, "height": p.height}
             for p in document.pages]
    title = " ".join(part for part in (document.doc_type or document.doc_type_hint, document.filename) if part)
    evidence = DocumentEvidence(document_id=document.id, title=title or document.id, fields=fields, pages=pages,
                                discrepancies=messages)
    return evidence, None if pages else "Not available: the document's page images (it was not processed)."


def corrected_fields(evidence: CaseEvidence, decision: DecisionInput) -> list[dict[str, Any]]:
    """The document's fields with the expert's corrections applied (``corrected`` marks which)."""
    document = evidence.document
    known = {f["name"] for f in document.fields} if document else set()
    unknown = sorted(set(decision.fields) - known)
    if unknown:
        raise LabelRefused("unknown_field", f"no extracted field named {', '.join(unknown)} on this document",
                           {"unknown": unknown, "valid": sorted(known)})
    return [{**f, "value": decision.fields.get(f["name"], f["value"]), "corrected": f["name"] in decision.fields}
            for f in (document.fields if document else [])]


def _document_example(evidence: CaseEvidence, decision: DecisionInput) -> ExampleSpec | None:
    fields_out = corrected_fields(evidence, decision)
    document = evidence.document
    if document is None or not document.pages:
        return None
    images = tuple(ExampleImage(f"page_{p['number']}.png", p["sha256"]) for p in document.pages)
    annotation = {"source": "document", "source_id": document.document_id,
                  "declaration_no": evidence.instruction.declaration_no, "decision": decision.decision.value,
                  "pages": [{"number": p["number"], "file": f"page_{p['number']}.png", "width": p["width"],
                             "height": p["height"]} for p in document.pages],
                  "fields": fields_out}
    return ExampleSpec(LabelTask.document, images, annotation)


class DocumentCases:
    """Document discrepancies as review cases (smartinspect.review.sources.CaseSource)."""

    source = "document"
    accepts_boxes = False
    accepts_fields = True

    def load(self, db: Session, instruction: Instruction, finding: ClearanceFinding | None) -> dict[str, Any]:
        document, note = document_evidence(db, instruction, finding, case_id=instruction.id)
        return {"document": document, "document_note": note}

    def example(self, evidence: CaseEvidence, decision: DecisionInput, *,
                classes: tuple[str, ...]) -> ExampleSpec | None:
        return _document_example(evidence, decision)

    def focus(self, evidence: CaseEvidence, decision: DecisionInput) -> dict[str, Any]:
        if evidence.document is None:
            return {}
        return {"document_id": evidence.document.document_id, "fields": decision.fields}


DOCUMENT_CASES = DocumentCases()
