"""What an expert sees for a case: the scan, the wood screening, the document, the declaration and its papers.

Each part is read through its capability's own storage; a capability that is not installed (or a record that is
missing) gives ``None`` and a note saying so, so the page degrades instead of failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartinspect.clearance.service import get_declaration
from smartinspect.storage.models import ClearanceFinding, Scan
from smartinspect.storage.models_clearance import Declaration, Instruction
from smartinspect.storage.scans import get_scan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WoodEvidence:
    """A wood screening: images (blob digests and URLs), top-3 taxa, the declared species, reference notes."""

    screening_id: str
    top: list[dict[str, Any]]  # {label, genus, probability, cites}
    declared: str | None
    abstained: bool
    notes: list[dict[str, str]] = field(default_factory=list)  # {title, text}
    images: list[str] = field(default_factory=list)  # blob sha256 of each image
    image_formats: list[str] = field(default_factory=list)  # png | jpeg | webp | tiff, per image
    reasons: list[dict[str, str]] = field(default_factory=list)  # {code, message}: why this recommendation
    photos: list[dict[str, Any]] = field(default_factory=list)  # per photo: {position, call, abstain_reason, gate}

    @property
    def suggested_genus(self) -> str | None:
        return None if self.abstained or not self.top else self.top[0]["genus"]


@dataclass(frozen=True)
class DocumentEvidence:
    """A document: its pages (image blobs, sizes), the extracted fields with polygons, what is wrong with it."""

    document_id: str
    title: str
    fields: list[dict[str, Any]]  # {name, value, page, polygons, flagged}
    pages: list[dict[str, Any]]  # {number, sha256, width, height, url}
    discrepancies: list[str]


@dataclass(frozen=True)
class CaseEvidence:
    instruction: Instruction
    finding: ClearanceFinding | None
    scan: Scan | None = None
    scan_note: str | None = None
    wood: WoodEvidence | None = None
    wood_note: str | None = None
    document: DocumentEvidence | None = None
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


def load_evidence(db: Session, instruction: Instruction) -> CaseEvidence:
    """Everything the case page shows, read for ``instruction`` (an image_review). Reads only."""
    from smartinspect.review import evidence_sources as sources

    finding = _finding(db, instruction)
    parts: dict[str, Any] = {}
    if instruction.source == "xray":
        scan = get_scan(db, scan_id=instruction.source_id or "")
        parts["scan"] = scan
        if scan is None:
            parts["scan_note"] = f"Scan {instruction.source_id} is not in this database."
    elif instruction.source == "wood":
        parts["wood"], parts["wood_note"] = sources.wood_evidence(db, instruction, finding, case_id=instruction.id)
    elif instruction.source == "document":
        parts["document"], parts["document_note"] = sources.document_evidence(db, instruction, finding,
                                                                             case_id=instruction.id)
    declaration = get_declaration(db, number=instruction.declaration_no)
    parts["declaration"] = declaration
    if declaration is None:
        parts["declaration_note"] = f"Declaration {instruction.declaration_no} is not in this database."
    parts["related_documents"], parts["documents_note"] = sources.related_documents(db, instruction.declaration_no,
                                                                                     case_id=instruction.id)
    return CaseEvidence(instruction=instruction, finding=finding, **parts)
