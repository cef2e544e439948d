"""Adapters to the wood and document capabilities for the case page. Each returns ``(evidence, note)``.

The finding payload (the typed hand-off every capability gives clearance) supplies the facts; the capability's
own storage supplies the images. When a capability is not installed, the page says "not available".
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.orm import Session

from smartinspect.review.evidence import DocumentEvidence, WoodEvidence
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_clearance import Instruction


def optional_module(name: str) -> Any | None:
    """A capability's module, or None when that capability is not installed."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def genus_of(taxon: str | None) -> str | None:
    """``"Dalbergia nigra"`` -> ``"Dalbergia"`` (the genus is the first word of a binomial)."""
    return taxon.split()[0] if taxon and taxon.split() else None


def _reference_notes(genera: list[str]) -> list[dict[str, str]]:
    """The wood capability's reference notes per genus (family, CITES, key features, look-alikes)."""
    taxa = optional_module("smartinspect.wood.taxa")
    if taxa is None:
        return []
    table, notes = taxa.load_taxa(), []
    for genus in dict.fromkeys(g for g in genera if g):
        if genus not in table.genera:
            continue
        ref = table.reference(genus)
        cites = f"CITES Appendix {ref['cites_appendix']}" if ref["cites_appendix"] else "not CITES-listed"
        text = " ".join(part for part in (ref["note"], ref["key_features"] and f"Key features: {ref['key_features']}",
                                          ref["look_alikes"] and f"Look-alikes: {', '.join(ref['look_alikes'])}.")
                        if part)
        notes.append({"title": f"{genus} ({ref['family']}), {cites} [{ref['cites_state']}]", "text": text})
    return notes


def wood_evidence(db: Session, instruction: Instruction, finding: ClearanceFinding | None, *,
                  case_id: int) -> tuple[WoodEvidence | None, str | None]:
    from smartinspect.storage.models_wood import WoodScreening

    screening = db.get(WoodScreening, instruction.source_id or "")
    if finding is None and screening is None:
        return None, f"Not available: wood screening {instruction.source_id} is not in this database."
    payload = (finding.payload if finding is not None else None) or {}
    top = [{"label": t.get("taxon"), "genus": t.get("genus") or genus_of(t.get("taxon")),
            "probability": float(t.get("probability", 0)), "cites": t.get("cites_appendix")}
           for t in (payload.get("top_k") or [])[:3] if isinstance(t, dict)]
    declared = payload.get("declared_species") or (screening.declared_species if screening else None)
    images = list(screening.images) if screening is not None else []
    evidence = WoodEvidence(
        screening_id=instruction.source_id or "", top=top, declared=declared,
        abstained=bool(payload.get("abstained", screening.abstained if screening else False)),
        notes=_reference_notes([t["genus"] for t in top] + [genus_of(declared)]),
        images=[i.image_sha256 for i in images], image_formats=[i.image_format for i in images],
        reasons=[{"code": str(r.get("code", "")), "message": str(r.get("message", ""))}
                 for r in payload.get("reasons") or [] if isinstance(r, dict)],
        photos=_photo_outcomes(screening.result if screening is not None else None),
    )
    note = None if images else "Not available: the screening's images are not in this database."
    return evidence, note


def _photo_outcomes(result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per photo of a stored screening result: its call, why it abstained, and which gate checks it failed (in
    words when the wood capability is installed)."""
    gate = optional_module("smartinspect.wood.gate")
    texts = gate.FAILURE_TEXT if gate is not None else {}
    out = []
    for image in (result or {}).get("images") or []:
        if not isinstance(image, dict):
            continue
        failures = [str(f) for f in (image.get("gate") or {}).get("failures") or []]
        out.append({"position": int(image.get("position", len(out))), "call": image.get("call"),
                    "abstain_reason": image.get("abstain_reason"),
                    "gate": [{"code": f, "text": texts.get(f, "")} for f in failures]})
    return out


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
    from smartinspect.storage.models_documents import Document

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


def related_documents(db: Session, declaration_no: str, *, case_id: int) -> tuple[list[dict[str, Any]] | None,
                                                                                     str | None]:
    """The documents filed for the declaration, with a link to each first page (served through the case)."""
    from sqlalchemy import select

    from smartinspect.storage.models_documents import Document

    rows = db.scalars(select(Document).where(Document.declaration_no == declaration_no)
                      .order_by(Document.created_at, Document.id))
    return [{"id": d.id, "type": d.doc_type or d.doc_type_hint or "document", "title": d.filename or d.id,
             "status": d.status, "verdict": d.verdict,
             "first_page_url": (f"/v1/review/cases/{case_id}/related/{d.id}/pages/0.png" if d.pages else None)}
            for d in rows], None
