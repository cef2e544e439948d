"""Field-level scoring of an extraction against ground truth (the synthetic generator's JSON).

Scalars match when the normalised values are equal (numbers within 0.01); multi-valued fields (containers, HS
codes) and item-table fields count as multisets. Derived fields (e.g. a total summed from the items) are not
scored: they were not printed, so there is nothing to read right or wrong.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from smartinspect.documents.types import MULTI_FIELDS, SCALAR_FIELDS, DocumentExtraction

ITEM_SCORED = ("description", "hs_code", "quantity", "unit", "amount", "packages", "net_kg", "gross_kg")
KEY_FIELDS = ("container_numbers", "bl_no", "hs_codes")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, float]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def _key(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return round(float(value), 2)
    return str(value)


def _multiset(pred: list[Any], truth: list[Any]) -> Counts:
    p, t = Counter(_key(v) for v in pred), Counter(_key(v) for v in truth)
    tp = sum((p & t).values())
    return Counts(tp, sum(p.values()) - tp, sum(t.values()) - tp)


def score_document(extraction: DocumentExtraction, truth: dict[str, Any]) -> dict[str, Counts]:
    """Counts per field name ("bl_no", "container_numbers", "item.quantity"...) for one document."""
    gt = truth["fields"]
    printed = [f for f in extraction.fields if not f.derived]
    out: dict[str, Counts] = {}
    for name in SCALAR_FIELDS:
        pred = next((f.normalised for f in printed if f.name == name), None)
        if name not in gt and pred is None:
            continue
        out[name] = _multiset([pred] if pred is not None else [], [gt[name]] if name in gt else [])
    for name in MULTI_FIELDS:
        pred = [f.normalised for f in printed if f.name == name]
        if pred or name in gt:
            out[name] = _multiset(pred, gt.get(name, []))
    gt_items = truth.get("items", [])
    keys = {k for item in gt_items for k in item} & set(ITEM_SCORED)
    for key in sorted(keys):
        pred = [i.get(key) for i in extraction.items if i.get(key) is not None]
        out[f"item.{key}"] = _multiset(pred, [item[key] for item in gt_items if key in item])
    return out


def summarise_counts(per_doc: list[dict[str, Counts]]) -> dict[str, Any]:
    """Micro-averaged overall, key-field and per-field precision/recall/F1."""
    fields: dict[str, Counts] = {}
    for doc in per_doc:
        for name, counts in doc.items():
            fields.setdefault(name, Counts()).add(counts)
    overall, key = Counts(), Counts()
    for name, counts in fields.items():
        overall.add(counts)
        if name in KEY_FIELDS:
            key.add(counts)
    return {"overall": overall.to_json(), "key_fields": key.to_json(),
            "per_field": {name: fields[name].to_json() for name in sorted(fields)}}
