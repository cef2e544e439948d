"""Assessment: a compiled rule set applied to one declaration and its findings. Pure: no database, no clock.

The result says which rules fired (per finding for finding rules), the channel (the strictest that fired) and
the instructions to issue, merged by (kind, finding): two rules asking for a physical inspection of the same
scan give one instruction with two reasons.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from smartinspect.clearance.fields import FIELDS, DeclarationView, FindingView, read_field
from smartinspect.clearance.ruleset import FOCUS_FROM_FINDING, InstructionSpec, Rule, RuleSet
from smartinspect.domain.clearance import CHANNEL_RANK, Channel, InstructionKind

MAX_EVIDENCE_ITEMS = 20
# Never clear a CITES-listed prediction: if no rule asked for a sample, an expert or a hold, this floor does.
CITES_FLOOR_RULE = Rule(
    id="builtin.cites-floor", description="A CITES-listed wood prediction is never cleared without a lab sample",
    when="finding.wood.cites_listed", channel=Channel.red,
    instructions=(InstructionSpec(InstructionKind.sampling, 1, FOCUS_FROM_FINDING),),
    predicate=lambda d, f, r: bool(f.get("finding.wood.cites_listed")), fields=("finding.wood.cites_listed",),
    scope="wood", line=None,
)
_CITES_SAFE_KINDS = {InstructionKind.sampling, InstructionKind.image_review, InstructionKind.hold}


@dataclass(frozen=True)
class Hit:
    rule: Rule
    finding: FindingView | None
    evidence: dict[str, Any]

    @property
    def source_key(self) -> str:
        return f"{self.finding.source}:{self.finding.source_id}" if self.finding else ""


@dataclass
class PlannedInstruction:
    kind: InstructionKind
    priority: int
    source: str | None
    source_id: str | None
    focus: dict[str, Any] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(self.kind, self.source, self.source_id)


@dataclass(frozen=True)
class Assessment:
    channel: Channel
    hits: tuple[Hit, ...]
    instructions: tuple[PlannedInstruction, ...]
    post_clearance_audit: bool
    rule_set_version: int


def dedupe_key(kind: str, source: str | None, source_id: str | None) -> str:
    """One instruction per kind and finding (or per kind for declaration-level rules)."""
    return f"{kind}|{source}:{source_id}" if source else f"{kind}|declaration"


def random_draw(seed: str, rule_id: str, number: str) -> float:
    """Uniform in [0, 1), the same for the same seed, rule and declaration number (reproducible selection)."""
    digest = hashlib.sha256(f"{seed}|{rule_id}|{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assess(rule_set: RuleSet, view: DeclarationView, *, version: int) -> Assessment:
    """Apply every rule; return hits, the channel and the merged instructions."""
    facts = {path: read_field(FIELDS[path], view) for path in rule_set.declaration_fields}
    number = view.declaration.number
    finding_facts: dict[tuple[str, str], dict[str, Any]] = {}
    hits: list[Hit] = []
    for rule in rule_set.rules:
        draw = random_draw(rule_set.seed, rule.id, number) if rule.uses_random else 0.0
        if rule.scope is None:
            if rule.predicate(facts, {}, draw):
                hits.append(Hit(rule, None, _evidence(rule, facts, {}, draw)))
            continue
        for finding in view.findings.get(rule.scope, ()):
            ffacts = _finding_facts(finding, rule, finding_facts)
            if rule.predicate(facts, ffacts, draw):
                hits.append(Hit(rule, finding, _evidence(rule, facts, ffacts, draw)))
    hits.extend(_cites_floor(view, hits, finding_facts))
    channel = max((hit.rule.channel for hit in hits), key=CHANNEL_RANK.__getitem__, default=Channel.green)
    return Assessment(
        channel=channel, hits=tuple(hits), instructions=tuple(_plan(hits, version)),
        post_clearance_audit=any(hit.rule.channel == Channel.blue for hit in hits), rule_set_version=version,
    )


def _finding_facts(finding: FindingView, rule: Rule, cache: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    facts = cache.setdefault((finding.source, finding.source_id), {})
    for path in rule.fields:
        if path.startswith("finding.") and path not in facts:
            facts[path] = read_field(FIELDS[path], finding)
    return facts


def _cites_floor(view: DeclarationView, hits: list[Hit], cache: dict[tuple[str, str], dict[str, Any]]) -> list[Hit]:
    covered = {hit.source_key for hit in hits for spec in hit.rule.instructions if spec.kind in _CITES_SAFE_KINDS}
    extra = []
    for finding in view.findings.get("wood", ()):
        facts = _finding_facts(finding, CITES_FLOOR_RULE, cache)
        if facts["finding.wood.cites_listed"] and f"wood:{finding.source_id}" not in covered:
            extra.append(Hit(CITES_FLOOR_RULE, finding, {"finding.wood.cites_listed": True}))
    return extra


def _evidence(rule: Rule, facts: dict[str, Any], ffacts: dict[str, Any], draw: float) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for path in rule.fields:
        value = draw if path == "random" else (ffacts if path.startswith("finding.") else facts).get(path)
        evidence[path] = value[:MAX_EVIDENCE_ITEMS] if isinstance(value, list) else value
    return evidence


def _plan(hits: list[Hit], version: int) -> list[PlannedInstruction]:
    planned: dict[str, PlannedInstruction] = {}
    for hit in hits:
        source = hit.finding.source if hit.finding else None
        source_id = hit.finding.source_id if hit.finding else None
        reason = {"rule_id": hit.rule.id, "rule_set_version": version, "message": hit.rule.description,
                  "source": source, "source_id": source_id, "evidence": hit.evidence}
        for spec in hit.rule.instructions:
            key = dedupe_key(spec.kind, source, source_id)
            item = planned.get(key)
            if item is None:
                item = planned[key] = PlannedInstruction(spec.kind, spec.priority, source, source_id)
            item.priority = min(item.priority, spec.priority)
            if hit.rule.id not in item.rule_ids:
                item.rule_ids.append(hit.rule.id)
                item.reasons.append(reason)
            merge_focus(item.focus, build_focus(spec.focus, hit.finding))
    return sorted(planned.values(), key=lambda p: (p.priority, p.kind, p.dedupe_key))


def build_focus(focus: str | None, finding: FindingView | None) -> dict[str, Any]:
    """Where to look: the finding's boxes (X-ray), sample details (wood), discrepancies (documents), or a note."""
    if focus is None:
        return {}
    if focus != FOCUS_FROM_FINDING or finding is None:
        return {"notes": [focus]}
    payload = finding.payload
    if finding.source == "xray":
        areas = [{k: d.get(k) for k in ("class_name", "score", "box", "box_mm")}
                 for d in payload.get("findings") or [] if isinstance(d, dict)]
        empty = payload.get("empty_check") or {}
        if empty.get("mismatch") and empty.get("interior_box"):
            areas.append({"class_name": "undeclared_content", "score": empty.get("content_fraction"),
                          "box": empty.get("interior_box"), "box_mm": None})
        return {"scan_id": finding.source_id, "container_no": finding.container_no, "areas": areas,
                "overlay": f"/v1/scans/{finding.source_id}/overlay.png"}
    if finding.source == "wood":
        return {"screening_id": finding.source_id, "top_k": (payload.get("top_k") or [])[:3],
                "cites_appendix": payload.get("cites_appendix"), "declared_species": payload.get("declared_species")}
    return {"document_id": finding.source_id, "doc_type": payload.get("doc_type"),
            "discrepancies": (payload.get("discrepancies") or [])[:MAX_EVIDENCE_ITEMS],
            "validation_errors": (payload.get("validation_errors") or [])[:MAX_EVIDENCE_ITEMS]}


def merge_focus(into: dict[str, Any], extra: dict[str, Any]) -> None:
    notes = into.get("notes", []) + [n for n in extra.get("notes", []) if n not in into.get("notes", [])]
    for key, value in extra.items():
        into.setdefault(key, value)
    if notes:
        into["notes"] = notes
