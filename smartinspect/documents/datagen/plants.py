"""Planted inconsistencies: one document of a consignment is made to disagree with the others (or with itself).

Each kind says which field a verifier should flag. ``plant`` returns the per-document consignment views
(all identical but one) and the record written to the ground truth.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from smartinspect.documents.datagen import catalog as cat
from smartinspect.documents.datagen.consignment import CURRENCIES, Consignment, chinese_party, foreign_party

DOC_TYPES = ("declaration", "invoice", "packing_list", "bill_of_lading")
# kind -> (documents it may be planted in, field a verifier must flag)
PLANT_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "weight_mismatch": (("bill_of_lading",), "gross_weight"),
    "invalid_container": (("bill_of_lading", "packing_list", "declaration"), "container_numbers"),
    "consignee_mismatch": (("invoice", "bill_of_lading"), "consignee"),
    "hs_mismatch": (("invoice",), "hs_codes"),
    "value_mismatch": (("declaration",), "total_value"),
    "net_over_gross": (("packing_list",), "net_weight"),
}


@dataclass(frozen=True)
class Plant:
    kind: str
    document: str
    field: str
    original: str
    planted: str

    def to_dict(self) -> dict:
        return asdict(self)


def plant(c: Consignment, rng: np.random.Generator, kind: str) -> tuple[dict[str, Consignment], Plant]:
    """Views per document type with ``kind`` planted in one of them."""
    if kind not in PLANT_KINDS:
        raise ValueError(f"unknown plant kind {kind!r}; kinds are {', '.join(PLANT_KINDS)}")
    documents, field = PLANT_KINDS[kind]
    doc = documents[int(rng.integers(len(documents)))]
    views = {d: c.copy() for d in DOC_TYPES}
    v = views[doc]
    if kind == "weight_mismatch":
        factor = float(rng.choice([-1, 1]) * rng.uniform(0.04, 0.2) + 1.0)
        for item in v.items:
            item.gross_kg = round(item.gross_kg * factor, 2)
            item.net_kg = min(item.net_kg, item.gross_kg)
        for k in v.containers:
            k.gross_kg = round(k.gross_kg * factor, 2)
        original, planted = c.total_gross_kg, v.total_gross_kg
    elif kind == "invalid_container":
        k = v.containers[int(rng.integers(len(v.containers)))]
        original = k.number
        k.number = k.number[:10] + str((int(k.number[10]) + int(rng.integers(1, 10))) % 10)
        planted = k.number
    elif kind == "consignee_mismatch":
        original = v.consignee.name_en
        while v.consignee.name_en == original:
            v.consignee = chinese_party(rng) if c.consignee.uscc else foreign_party(rng, c.consignee.country)
        planted = v.consignee.name_en
    elif kind == "hs_mismatch":
        item = v.items[int(rng.integers(len(v.items)))]
        original = item.hs_code
        others = [g.hs_code for g in cat.GOODS if g.hs_code[:4] != original[:4]]
        item.hs_code = others[int(rng.integers(len(others)))]
        planted = item.hs_code
    elif kind == "value_mismatch":  # under-valuation on the declaration
        decimals = CURRENCIES[v.currency][1]
        factor = float(rng.uniform(0.55, 0.9))
        for item in v.items:
            item.unit_price = round(item.unit_price * factor, decimals if decimals else 0)
            item.amount = round(item.quantity * item.unit_price, decimals)
        original, planted = c.total_value, v.total_value
    else:  # net_over_gross
        for item in v.items:
            item.net_kg = round(item.gross_kg * float(rng.uniform(1.03, 1.12)), 2)
        original, planted = c.total_net_kg, v.total_net_kg
    return views, Plant(kind, doc, field, str(original), str(planted))
