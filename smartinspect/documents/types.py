"""Typed results of key-element extraction, validation and cross-document verification.

Internal dataclasses, JSON-ready through ``to_json``; the HTTP edge builds its pydantic schemas from them. A
``DocumentCheck`` (one document: extraction + validations + discrepancies) is what the clearance layer receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Polygon = tuple[tuple[float, float], ...]
Normalised = str | float | int | None


class DocType(StrEnum):
    declaration = "declaration"  # 报关单
    invoice = "invoice"  # commercial invoice
    packing_list = "packing_list"
    bill_of_lading = "bill_of_lading"
    unknown = "unknown"


class Severity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


# Doc-level field names (multi-valued ones may occur several times in ``DocumentExtraction.fields``).
SCALAR_FIELDS = (
    "declaration_no", "bl_no", "invoice_no", "invoice_date", "consignor_name", "consignor_uscc", "consignee_name",
    "consignee_uscc", "total_value", "currency", "incoterm", "origin_country", "port_of_loading",
    "port_of_discharge", "vessel", "voyage", "gross_weight", "net_weight", "packages",
)
MULTI_FIELDS = ("container_numbers", "hs_codes")
ITEM_FIELDS = ("description", "hs_code", "quantity", "unit", "unit_price", "amount", "packages", "net_kg",
               "gross_kg", "origin", "currency")


@dataclass(frozen=True)
class ExtractedField:
    """One value read from the page: as printed, normalised, how sure, and where (page index, line polygons).

    ``derived``: computed from other fields (e.g. a total summed from the items), not printed as such.
    """

    name: str
    value: str
    normalised: Normalised
    confidence: float
    page: int
    polygons: tuple[Polygon, ...] = ()
    derived: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "normalised": self.normalised,
                "confidence": round(float(self.confidence), 4), "page": self.page,
                "polygons": [[[round(float(x), 1), round(float(y), 1)] for x, y in p] for p in self.polygons],
                "derived": self.derived}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExtractedField:
        return cls(data["name"], data["value"], data["normalised"], float(data["confidence"]), int(data["page"]),
                   tuple(tuple((float(x), float(y)) for x, y in p) for p in data.get("polygons", ())),
                   bool(data.get("derived", False)))


@dataclass
class LineItem:
    """One goods line of an item table; keys of ``fields`` come from ``ITEM_FIELDS``."""

    fields: dict[str, ExtractedField] = field(default_factory=dict)

    def get(self, name: str) -> Normalised:
        f = self.fields.get(name)
        return f.normalised if f else None

    def to_json(self) -> dict[str, Any]:
        return {name: f.to_json() for name, f in self.fields.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineItem:
        return cls({name: ExtractedField.from_json(f) for name, f in data.items()})


@dataclass
class DocumentExtraction:
    doc_type: DocType
    doc_type_confidence: float
    language: str  # "zh" or "en" (the dominant script)
    fields: list[ExtractedField] = field(default_factory=list)
    items: list[LineItem] = field(default_factory=list)

    def get(self, name: str) -> ExtractedField | None:
        return next((f for f in self.fields if f.name == name), None)

    def value(self, name: str) -> Normalised:
        f = self.get(name)
        return f.normalised if f else None

    def values(self, name: str) -> list[Normalised]:
        return [f.normalised for f in self.fields if f.name == name]

    def to_json(self) -> dict[str, Any]:
        return {"doc_type": self.doc_type.value, "doc_type_confidence": round(self.doc_type_confidence, 4),
                "language": self.language, "fields": [f.to_json() for f in self.fields],
                "items": [i.to_json() for i in self.items]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentExtraction:
        return cls(DocType(data["doc_type"]), float(data["doc_type_confidence"]), data["language"],
                   [ExtractedField.from_json(f) for f in data["fields"]],
                   [LineItem.from_json(i) for i in data["items"]])


@dataclass(frozen=True)
class Validation:
    """One check on one document: ``code`` names the rule (iso6346, hs_structure, incoterm_2020, iso4217, date,
    items_sum_*, net_le_gross, uscc)."""

    field: str
    code: str
    ok: bool
    message: str
    severity: Severity = Severity.medium

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "ok": self.ok, "message": self.message,
                "severity": self.severity.value}


@dataclass(frozen=True)
class Discrepancy:
    """Documents that disagree: which field, how serious, and what each document says (``values`` by document)."""

    field: str
    severity: Severity
    message: str
    documents: list[str]
    values: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "severity": self.severity.value, "message": self.message,
                "documents": list(self.documents), "values": self.values}


@dataclass
class DocumentCheck:
    """The typed hand-off to clearance for one uploaded document."""

    extraction: DocumentExtraction
    validations: list[Validation]
    discrepancies: list[Discrepancy]

    @property
    def worst_severity(self) -> Severity | None:
        flagged = [d.severity for d in self.discrepancies] + [v.severity for v in self.validations if not v.ok]
        order = [Severity.low, Severity.medium, Severity.high]
        return max(flagged, key=order.index) if flagged else None

    def to_json(self) -> dict[str, Any]:
        return {"extraction": self.extraction.to_json(), "validations": [v.to_json() for v in self.validations],
                "discrepancies": [d.to_json() for d in self.discrepancies]}
