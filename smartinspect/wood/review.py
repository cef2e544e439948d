"""The wood screening in expert review (a ``CaseSource``): the photos, top-3 taxa, declared species and reference
notes as evidence; the genus a decision teaches; the sample an escalation asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from smartinspect.domain.review import DecisionKind, LabelTask
from smartinspect.review.evidence import CaseEvidence
from smartinspect.review.feedback import ExampleImage
from smartinspect.review.labels import ExampleSpec, LabelRefused
from smartinspect.review.types import DecisionInput
from smartinspect.storage.models import ClearanceFinding
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.models_wood import WoodScreening
from smartinspect.wood.gate import FAILURE_TEXT
from smartinspect.wood.taxa import load_taxa


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


def genus_of(taxon: str | None) -> str | None:
    """``"Dalbergia nigra"`` -> ``"Dalbergia"`` (the genus is the first word of a binomial)."""
    return taxon.split()[0] if taxon and taxon.split() else None


def _reference_notes(genera: list[str]) -> list[dict[str, str]]:
    """The wood capability's reference notes per genus (family, CITES, key features, look-alikes)."""
    table, notes = load_taxa(), []
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
    words)."""
    texts = FAILURE_TEXT
    out = []
    for image in (result or {}).get("images") or []:
        if not isinstance(image, dict):
            continue
        failures = [str(f) for f in (image.get("gate") or {}).get("failures") or []]
        out.append({"position": int(image.get("position", len(out))), "call": image.get("call"),
                    "abstain_reason": image.get("abstain_reason"),
                    "gate": [{"code": f, "text": texts.get(f, "")} for f in failures]})
    return out


def wood_genus(evidence: CaseEvidence, decision: DecisionInput) -> str:
    """The expert's genus; else the declared one when clearing, the model's top-1 when confirming an answer."""
    wood = evidence.wood
    genus = decision.labels.get("genus", "").strip()
    if not genus and wood is not None:
        if decision.decision == DecisionKind.clear:
            genus = genus_of(wood.declared) or ""
        elif decision.decision == DecisionKind.confirm:
            genus = wood.suggested_genus or ""
    if not genus:
        raise LabelRefused("genus_required", "a wood decision needs the genus (labels.genus): the model abstained "
                           "or gave no answer to confirm", {"field": "labels.genus"})
    return genus


def _wood_example(evidence: CaseEvidence, decision: DecisionInput) -> ExampleSpec | None:
    genus = wood_genus(evidence, decision)
    wood = evidence.wood
    if wood is None or not wood.images:
        return None
    suffixes = {"jpeg": "jpg"}
    images = tuple(ExampleImage(f"image_{i}.{suffixes.get(fmt, fmt)}", sha)
                   for i, (sha, fmt) in enumerate(zip(wood.images, wood.image_formats, strict=True)))
    annotation = {"source": "wood", "source_id": wood.screening_id,
                  "declaration_no": evidence.instruction.declaration_no, "decision": decision.decision.value,
                  "genus": genus, "species": decision.labels.get("species") or None,
                  "corrected": bool(decision.labels.get("genus")), "model_top": wood.top,
                  "declared": wood.declared, "abstained": wood.abstained}
    return ExampleSpec(LabelTask.wood, images, annotation)


class WoodCases:
    """Wood screenings as review cases (smartinspect.review.sources.CaseSource)."""

    source = "wood"
    accepts_boxes = False
    accepts_fields = False

    def load(self, db: Session, instruction: Instruction, finding: ClearanceFinding | None) -> dict[str, Any]:
        wood, note = wood_evidence(db, instruction, finding, case_id=instruction.id)
        return {"wood": wood, "wood_note": note}

    def example(self, evidence: CaseEvidence, decision: DecisionInput, *,
                classes: tuple[str, ...]) -> ExampleSpec | None:
        return _wood_example(evidence, decision)

    def focus(self, evidence: CaseEvidence, decision: DecisionInput) -> dict[str, Any]:
        if evidence.wood is None:
            return {}
        return {"screening_id": evidence.wood.screening_id, "genus": decision.labels.get("genus")}


WOOD_CASES = WoodCases()
