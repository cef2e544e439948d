"""The named fields rule conditions may address, with their types and how each is read.

Declaration fields read a :class:`DeclarationView`; ``finding.<source>.*`` fields read one :class:`FindingView`
(a rule on them is evaluated once per finding of that source). Fields marked ``many`` hold a list: a comparison
holds when any element satisfies it. Adding a field here is all it takes to make it usable in rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from smartinspect.domain.clearance import Direction, DocumentType, TransportMode
from smartinspect.domain.tasks import THREAT_CLASSES

FINDING_SOURCES = ("xray", "wood", "document")
XRAY_CLASSES = THREAT_CLASSES
SEVERITIES = ("none", "low", "medium", "high")


@dataclass(frozen=True)
class FindingView:
    """A clearance finding as rules see it (``payload`` is the service's JSON; see docs/clearance.md)."""

    source: str
    source_id: str
    verdict: str
    payload: dict[str, Any]
    container_no: str | None = None  # X-ray: the scanned container (from the scan row)


@dataclass
class DeclarationView:
    """A declaration (ORM row or anything with the same attributes) and its findings, grouped by source."""

    declaration: Any
    findings: dict[str, list[FindingView]] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldSpec:
    path: str
    kind: str  # str | num | bool | enum
    get: Callable[[Any], Any]
    many: bool = False
    values: tuple[str, ...] = ()  # enum members
    ordered: bool = False  # enum members are listed lowest first and compare with < <= > >=
    help: str = ""

    @property
    def scope(self) -> str | None:
        """The finding source a rule on this field iterates over (None: the declaration)."""
        parts = self.path.split(".")
        return parts[1] if parts[0] == "finding" else None


def _enum(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _items(attr: str) -> Callable[[DeclarationView], list[Any]]:
    return lambda v: [getattr(item, attr) for item in v.declaration.items]


def _sum(attr: str) -> Callable[[DeclarationView], float]:
    return lambda v: sum(getattr(item, attr) for item in v.declaration.items)


def _unit_values(v: DeclarationView) -> list[float]:
    return [item.value / item.quantity for item in v.declaration.items if item.quantity]


def _documents(v: DeclarationView) -> list[str]:
    return [d["type"] if isinstance(d, dict) else d.type for d in (v.declaration.documents or [])]


def _attr(name: str) -> Callable[[DeclarationView], Any]:
    return lambda v: getattr(v.declaration, name)


def _party(role: str, part: str) -> Callable[[DeclarationView], Any]:
    return lambda v: getattr(v.declaration, f"{role}_{part}")


def _count(source: str) -> Callable[[DeclarationView], int]:
    return lambda v: len(v.findings.get(source, ()))


_DECLARATION_FIELDS = [
    FieldSpec("declaration.number", "str", _attr("number")),
    FieldSpec("declaration.direction", "enum", _attr("direction"), values=_enum(Direction)),
    FieldSpec("declaration.customs_office", "str", _attr("customs_office"), help="4-digit accepting customs"),
    FieldSpec("declaration.port", "str", _attr("port"), help="4-digit customs code of the entry/exit port"),
    FieldSpec("declaration.declarant.code", "str", _party("declarant", "code")),
    FieldSpec("declaration.declarant.name", "str", _party("declarant", "name")),
    FieldSpec("declaration.consignee.code", "str", _party("consignee", "code")),
    FieldSpec("declaration.consignee.name", "str", _party("consignee", "name")),
    FieldSpec("declaration.transport.mode", "enum", _attr("transport_mode"), values=_enum(TransportMode)),
    FieldSpec("declaration.transport.bill_of_lading", "str", _attr("bill_of_lading")),
    FieldSpec("declaration.transport.vessel", "str", _attr("vessel")),
    FieldSpec("declaration.trade_country", "str", _attr("trade_country"), help="ISO 3166-1 alpha-2"),
    FieldSpec("declaration.incoterm", "str", _attr("incoterm")),
    FieldSpec("declaration.currency", "str", _attr("currency")),
    FieldSpec("declaration.total_value", "num", _attr("total_value"), help="in the declaration currency"),
    FieldSpec("declaration.gross_kg", "num", _attr("gross_kg")),
    FieldSpec("declaration.net_kg", "num", _attr("net_kg")),
    FieldSpec("declaration.package_count", "num", _attr("package_count")),
    FieldSpec("declaration.item_count", "num", lambda v: len(v.declaration.items)),
    FieldSpec("declaration.container_count", "num", lambda v: len(v.declaration.containers)),
    FieldSpec("declaration.items.hs_code", "str", _items("hs_code"), many=True),
    FieldSpec("declaration.items.description", "str", _items("description"), many=True),
    FieldSpec("declaration.items.origin", "str", _items("origin"), many=True),
    FieldSpec("declaration.items.currency", "str", _items("currency"), many=True),
    FieldSpec("declaration.items.quantity", "num", _items("quantity"), many=True),
    FieldSpec("declaration.items.unit", "str", _items("unit"), many=True),
    FieldSpec("declaration.items.value", "num", _items("value"), many=True),
    FieldSpec("declaration.items.unit_value", "num", _unit_values, many=True, help="value / quantity"),
    FieldSpec("declaration.items.gross_kg", "num", _items("gross_kg"), many=True),
    FieldSpec("declaration.items.net_kg", "num", _items("net_kg"), many=True),
    FieldSpec("declaration.containers.number", "str",
              lambda v: [c.container_no for c in v.declaration.containers], many=True),
    FieldSpec("declaration.documents.type", "enum", _documents, many=True, values=_enum(DocumentType)),
    *(FieldSpec(f"findings.{s}.count", "num", _count(s), help=f"{s} findings recorded") for s in FINDING_SOURCES),
]


# ---------------------------------------------------------------- findings


def _xray_detections(f: FindingView) -> list[dict[str, Any]]:
    return [d for d in f.payload.get("findings") or [] if isinstance(d, dict)]


def _xray_score(class_name: str | None) -> Callable[[FindingView], float]:
    def get(f: FindingView) -> float:
        scores = [float(d.get("score", 0)) for d in _xray_detections(f) if class_name in (None, d.get("class_name"))]
        return max(scores, default=0.0)

    return get


def _empty_check(key: str) -> Callable[[FindingView], Any]:
    return lambda f: (f.payload.get("empty_check") or {}).get(key)


def _top(key: str) -> Callable[[FindingView], Any]:
    def get(f: FindingView) -> Any:
        top_k = f.payload.get("top_k") or []
        return top_k[0].get(key) if top_k and isinstance(top_k[0], dict) else None

    return get


def _payload(key: str) -> Callable[[FindingView], Any]:
    return lambda f: f.payload.get(key)


def _discrepancies(f: FindingView) -> list[dict[str, Any]]:
    return [d for d in f.payload.get("discrepancies") or [] if isinstance(d, dict)]


def _max_severity(f: FindingView) -> str:
    ranks = [SEVERITIES.index(d["severity"]) for d in _discrepancies(f) if d.get("severity") in SEVERITIES]
    return SEVERITIES[max(ranks, default=0)]


def _validation_errors(f: FindingView) -> list[dict[str, Any]]:
    return [e for e in f.payload.get("validation_errors") or [] if isinstance(e, dict)]


_FINDING_FIELDS = [
    FieldSpec("finding.xray.verdict", "enum", lambda f: f.verdict, values=("CLEAR", "REVIEW", "INSPECT"), ordered=True),
    FieldSpec("finding.xray.classes", "enum", lambda f: [d.get("class_name") for d in _xray_detections(f)],
              many=True, values=XRAY_CLASSES),
    FieldSpec("finding.xray.max_score", "num", _xray_score(None)),
    *(FieldSpec(f"finding.xray.score.{c}", "num", _xray_score(c), help=f"best {c} score, 0 if none")
      for c in XRAY_CLASSES),
    FieldSpec("finding.xray.detection_count", "num", lambda f: len(_xray_detections(f))),
    FieldSpec("finding.xray.reasons", "str", lambda f: [r.get("code") for r in f.payload.get("reasons") or []],
              many=True, help="reason codes, e.g. contraband_detected, declared_empty_not_empty"),
    FieldSpec("finding.xray.empty_mismatch", "bool", _empty_check("mismatch")),
    FieldSpec("finding.xray.container_found", "bool", _empty_check("container_found")),
    FieldSpec("finding.wood.verdict", "str", lambda f: f.verdict),
    FieldSpec("finding.wood.top_taxon", "str", _top("taxon")),
    FieldSpec("finding.wood.top_probability", "num", _top("probability")),
    FieldSpec("finding.wood.taxa", "str", lambda f: [t.get("taxon") for t in f.payload.get("top_k") or []],
              many=True),
    FieldSpec("finding.wood.cites_appendix", "enum", _payload("cites_appendix"), values=("I", "II", "III")),
    FieldSpec("finding.wood.cites_listed", "bool", lambda f: f.payload.get("cites_appendix") is not None),
    FieldSpec("finding.wood.abstained", "bool", _payload("abstained")),
    FieldSpec("finding.wood.recommendation", "enum", _payload("recommendation"),
              values=("clear", "lab_sample", "expert_review")),
    FieldSpec("finding.wood.declared_species", "str", _payload("declared_species")),
    FieldSpec("finding.wood.declared_match", "bool", _payload("declared_match")),
    FieldSpec("finding.document.verdict", "str", lambda f: f.verdict),
    FieldSpec("finding.document.doc_type", "str", _payload("doc_type")),
    FieldSpec("finding.document.max_severity", "enum", _max_severity, values=SEVERITIES, ordered=True),
    FieldSpec("finding.document.discrepancy_count", "num", lambda f: len(_discrepancies(f))),
    FieldSpec("finding.document.discrepancy_fields", "str", lambda f: [d.get("field") for d in _discrepancies(f)],
              many=True),
    FieldSpec("finding.document.validation_error_count", "num", lambda f: len(_validation_errors(f))),
    FieldSpec("finding.document.validation_error_codes", "str",
              lambda f: [e.get("code") for e in _validation_errors(f)], many=True),
]

RANDOM_FIELD = FieldSpec("random", "num", lambda v: None,
                         help="uniform in [0, 1), seeded by the rule set seed, the rule id and the declaration number")

FIELDS: dict[str, FieldSpec] = {f.path: f for f in (*_DECLARATION_FIELDS, *_FINDING_FIELDS, RANDOM_FIELD)}


def read_field(spec: FieldSpec, view: Any) -> Any:
    """The field's value; a finding payload missing the key reads as None (never an exception)."""
    try:
        return spec.get(view)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
