"""Cases as the HTTP API and the pages show them: one builder for both, so they never disagree."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from smartinspect.api.schemas.review import CaseDetailPublic, CasePublic, DecisionPublic, LabelPublic
from smartinspect.documents.review import DocumentEvidence
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.types import CaseSummary
from smartinspect.storage.models import Scan
from smartinspect.storage.models_clearance import Declaration
from smartinspect.storage.models_review import ReviewDecision
from smartinspect.wood.review import WoodEvidence


def case_public(summary: CaseSummary) -> CasePublic:
    data = asdict(summary)
    return CasePublic(**data, status_text=summary.status_text, open=summary.open,
                      links={"self": f"/v1/review/cases/{summary.id}", "page": f"/review/cases/{summary.id}"})


def decision_public(row: ReviewDecision, summary: CaseSummary) -> DecisionPublic:
    label = None
    if row.label_path and row.label_task and row.label_sha256:
        label = LabelPublic(task=row.label_task, path=row.label_path, sha256=row.label_sha256)
    return DecisionPublic(
        id=row.id, case_id=row.instruction_id, decision=row.decision, comment=row.comment, result=row.result,
        actor=row.actor, created_at=row.created_at, corrections=row.corrections or {},
        follow_up_instruction_id=row.follow_up_instruction_id, label=label, case=case_public(summary),
    )


def scan_view(scan: Scan, *, case_id: int, classes: tuple[str, ...]) -> dict[str, Any]:
    result = scan.result or {}
    dual = scan.image_low_sha256 is not None
    base = f"/v1/review/cases/{case_id}/scan"
    bit_depth = 16 if scan.bit_depth == 16 and scan.channels == 1 else 8
    return {
        "id": scan.id, "width": scan.width, "height": scan.height, "bit_depth": bit_depth,
        "max_value": 65535 if bit_depth == 16 else 255, "dual_energy": dual, "verdict": scan.verdict,
        "container_no": scan.container_no, "pixel_pitch_mm": scan.pixel_pitch_mm,
        "reasons": result.get("reasons") or [], "findings": result.get("findings") or [], "classes": list(classes),
        "links": {"pixels": f"{base}/pixels", "materials": f"{base}/materials.png" if dual else None},
    }


def wood_view(wood: WoodEvidence, *, case_id: int) -> dict[str, Any]:
    urls = [f"/v1/review/cases/{case_id}/wood/images/{i}" for i in range(len(wood.images))]
    return {"screening_id": wood.screening_id, "top": wood.top, "declared": wood.declared,
            "abstained": wood.abstained, "notes": wood.notes, "image_urls": urls,
            "suggested_genus": wood.suggested_genus, "reasons": wood.reasons, "photos": wood.photos}


def _points(polygon: Any) -> str:
    return " ".join(f"{float(x):.1f},{float(y):.1f}" for x, y in polygon)


def document_view(document: DocumentEvidence, *, case_id: int) -> dict[str, Any]:
    pages = []
    for page in document.pages:
        shapes = [{"name": f["name"], "value": f["value"], "flagged": bool(f.get("flagged")), "points": _points(p)}
                  for f in document.fields if f.get("page") == page["number"] for p in f.get("polygons") or []]
        pages.append({"number": page["number"], "width": page["width"], "height": page["height"], "fields": shapes,
                      "url": f"/v1/review/cases/{case_id}/document/pages/{page['number']}.png"})
    fields = [{"name": f["name"], "value": f["value"], "page": f.get("page"), "flagged": bool(f.get("flagged"))}
              for f in document.fields]
    return {"document_id": document.document_id, "title": document.title, "fields": fields, "pages": pages,
            "discrepancies": document.discrepancies}


def declaration_view(decl: Declaration) -> dict[str, Any]:
    items = [{"hs_code": i.hs_code, "description": i.description, "quantity": f"{i.quantity:g} {i.unit}",
              "value": f"{i.value:,.2f} {i.currency}", "origin": i.origin} for i in decl.items]
    summary = (f"{decl.direction} via port {decl.port}, {decl.channel} channel, {decl.status}; "
               f"{decl.package_count or '?'} packages, {decl.gross_kg:,.0f} kg gross"
               + (f", {decl.total_value:,.2f} {decl.currency}" if decl.total_value is not None else ""))
    parties = [["declarant", f"{decl.declarant_name} ({decl.declarant_code})"],
               ["consignee", f"{decl.consignee_name} ({decl.consignee_code})"]]
    if decl.vessel:
        parties.append(["vessel", f"{decl.vessel} {decl.voyage or ''}".strip()])
    return {"number": decl.number, "summary": summary, "items": items, "parties": parties,
            "containers": [c.container_no for c in decl.containers], "documents": list(decl.documents or [])}


def case_detail(summary: CaseSummary, evidence: CaseEvidence, decision: ReviewDecision | None, *,
                classes: tuple[str, ...]) -> CaseDetailPublic:
    notes = {part: note for part, note in (("scan", evidence.scan_note), ("wood", evidence.wood_note),
                                           ("document", evidence.document_note),
                                           ("declaration", evidence.declaration_note),
                                           ("related_documents", evidence.documents_note)) if note}
    return CaseDetailPublic(
        case=case_public(summary),
        scan=scan_view(evidence.scan, case_id=summary.id, classes=classes) if evidence.scan else None,
        wood=wood_view(evidence.wood, case_id=summary.id) if evidence.wood else None,
        document=document_view(evidence.document, case_id=summary.id) if evidence.document else None,
        declaration=declaration_view(evidence.declaration) if evidence.declaration else None,
        related_documents=evidence.related_documents, notes=notes,
        decision=decision_public(decision, summary) if decision else None,
    )
