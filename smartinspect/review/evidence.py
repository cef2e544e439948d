"""What an expert sees for a case: the source's evidence (through its CaseSource hook), the declaration and its
papers. A missing record gives ``None`` and a note saying so, so the page degrades instead of failing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.clearance.service import get_declaration
from smartinspect.review.sources import CaseSources
from smartinspect.storage.models import ClearanceFinding, Scan
from smartinspect.storage.models_clearance import Declaration, Instruction
from smartinspect.storage.models_documents import Document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseEvidence:
    """What the case page shows. The source's own evidence is filled by its ``CaseSource.load`` hook:
    ``scan`` (X-ray, a Scan row), ``wood`` (smartinspect.wood.review.WoodEvidence) or ``document``
    (smartinspect.documents.review.DocumentEvidence), each with a note when it is not available."""

    instruction: Instruction
    finding: ClearanceFinding | None
    scan: Scan | None = None
    scan_note: str | None = None
    wood: Any | None = None
    wood_note: str | None = None
    document: Any | None = None
    document_note: str | None = None
    declaration: Declaration | None = None
    declaration_note: str | None = None
    related_documents: list[dict[str, Any]] | None = None  # None: the documents capability is not installed
    documents_note: str | None = None


def _finding(db: Session, instruction: Instruction) -> ClearanceFinding | None:
    if not instruction.source or not instruction.source_id:
        return None
    return db.scalar(select(ClearanceFinding).where(ClearanceFinding.source == instruction.source,
                                                    ClearanceFinding.source_id == instruction.source_id))


def load_evidence(db: Session, instruction: Instruction, *, sources: CaseSources) -> CaseEvidence:
    """Everything the case page shows, read for ``instruction`` (an image_review). Reads only."""
    finding = _finding(db, instruction)
    hooks = sources.get(instruction.source)
    parts: dict[str, Any] = dict(hooks.load(db, instruction, finding)) if hooks is not None else {}
    declaration = get_declaration(db, number=instruction.declaration_no)
    parts["declaration"] = declaration
    if declaration is None:
        parts["declaration_note"] = f"Declaration {instruction.declaration_no} is not in this database."
    parts["related_documents"], parts["documents_note"] = related_documents(db, instruction.declaration_no,
                                                                             case_id=instruction.id)
    return CaseEvidence(instruction=instruction, finding=finding, **parts)


def related_documents(db: Session, declaration_no: str, *, case_id: int) -> tuple[list[dict[str, Any]] | None,
                                                                                     str | None]:
    """The documents filed for the declaration, with a link to each first page (served through the case)."""
    rows = db.scalars(select(Document).where(Document.declaration_no == declaration_no)
                      .order_by(Document.created_at, Document.id))
    return [{"id": d.id, "type": d.doc_type or d.doc_type_hint or "document", "title": d.filename or d.id,
             "status": d.status, "verdict": d.verdict,
             "first_page_url": (f"/v1/review/cases/{case_id}/related/{d.id}/pages/0.png" if d.pages else None)}
            for d in rows], None
