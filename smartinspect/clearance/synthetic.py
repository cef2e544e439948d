"""Seeded synthetic declarations and findings (for the benchmark, tests and demos). Every value is valid.

The mix follows container imports through a large Chinese port: mostly machinery, electronics, textiles and
furniture; a small share of controlled goods (timber, tobacco) and of companies on a watch list.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.domain.codes import random_uscc
from smartinspect.domain.containers import random_container_number
from smartinspect.domain.customs import declaration_number

# (HS code, description, unit, net kg per unit, value per unit in USD)
ORDINARY_GOODS = (
    ("8471300000", "portable computers", "pcs", 2.1, 420.0),
    ("8517130000", "smartphones", "pcs", 0.3, 210.0),
    ("8479899990", "industrial machines, other", "pcs", 850.0, 12500.0),
    ("8708299000", "motor vehicle body parts", "kg", 1.0, 6.5),
    ("6204620000", "women's cotton trousers", "pcs", 0.45, 7.2),
    ("6110200000", "cotton jerseys", "pcs", 0.35, 5.9),
    ("9403600000", "wooden furniture", "pcs", 18.0, 95.0),
    ("3926909090", "plastic articles, other", "kg", 1.0, 3.1),
    ("7318159090", "steel screws and bolts", "kg", 1.0, 2.4),
    ("0303890090", "frozen fish", "kg", 1.0, 3.8),
    ("2204210000", "wine in bottles up to 2 l", "l", 1.2, 8.5),
    ("8544422100", "insulated electric cables", "kg", 1.0, 7.7),
)
CONTROLLED_GOODS = (
    ("4403490090", "tropical logs", "m3", 750.0, 480.0),
    ("4407290000", "tropical sawn wood", "m3", 700.0, 620.0),
    ("2402200000", "cigarettes", "kg", 1.0, 42.0),
)
ORIGINS = ("DE", "JP", "US", "KR", "VN", "IT", "FR", "GB", "TH", "MY", "AU", "BR", "NL", "ES", "IN", "ID")
PORTS = ("2248", "2233", "3104", "5316", "4218", "0202")  # customs codes of container ports
INCOTERMS = ("CIF", "FOB", "CFR", "EXW", "DAP", "FCA")
CURRENCIES = ("USD", "EUR", "JPY", "CNY")


def synthetic_declaration(rng: np.random.Generator, *, sequence: int, year: int = 2026, direction: str = "import",
                          controlled_rate: float = 0.05, watch_companies: tuple[str, ...] = (),
                          watch_rate: float = 0.0, port: str | None = None) -> DeclarationCreate:
    """One valid declaration; ``sequence`` makes the number unique (9 digits)."""
    port = port or str(rng.choice(PORTS))
    number = declaration_number(customs_code=port, year=year, direction=direction, sequence=sequence)
    goods = CONTROLLED_GOODS if rng.random() < controlled_rate else ORDINARY_GOODS
    items = []
    for _ in range(int(rng.integers(1, 6))):
        hs, description, unit, kg_per_unit, usd = goods[int(rng.integers(len(goods)))]
        quantity = float(rng.integers(1, 400))
        net = round(quantity * kg_per_unit, 2)
        items.append({"hs_code": hs, "description": description, "quantity": quantity, "unit": unit,
                      "gross_kg": round(net * 1.08 + 1, 2), "net_kg": net, "value": round(quantity * usd, 2),
                      "origin": str(rng.choice(ORIGINS))})
    consignee = (str(rng.choice(watch_companies)) if watch_companies and rng.random() < watch_rate
                 else random_uscc(rng, region="310000"))
    containers = [{"number": random_container_number(rng), "size_type": str(rng.choice(["22G1", "45G1"]))}
                  for _ in range(int(rng.integers(1, 3)))]
    return DeclarationCreate.model_validate({
        "number": number, "direction": direction, "port": port,
        "declarant": {"name": "Shanghai Harbour Customs Brokerage Co., Ltd.", "code": random_uscc(rng)},
        "consignee": {"name": f"Importer {sequence}", "code": consignee},
        "transport": {"mode": "waterway", "bill_of_lading": f"COSU{sequence:010d}", "vessel": "COSCO SHIPPING ARIES",
                      "voyage": f"{int(rng.integers(100, 999))}E"},
        "trade_country": items[0]["origin"], "incoterm": str(rng.choice(INCOTERMS)),
        "currency": str(rng.choice(CURRENCIES)), "package_count": int(rng.integers(1, 900)),
        "items": items, "containers": containers,
        "documents": [{"type": "invoice", "number": f"INV-{sequence}"},
                      {"type": "packing_list", "number": f"PL-{sequence}"}],
        "declared_at": datetime(year, 11, 23, 8, 0, tzinfo=UTC).isoformat(),
    })


def synthetic_declarations(n: int, *, seed: int, start: int = 1, **kwargs: Any) -> list[DeclarationCreate]:
    rng = np.random.default_rng(seed)
    return [synthetic_declaration(rng, sequence=start + i, **kwargs) for i in range(n)]


def xray_payload(verdict: str, *, class_name: str = "concealment", score: float = 0.97,
                 box: tuple[float, float, float, float] = (410.0, 220.0, 520.0, 380.0)) -> dict[str, Any]:
    """A finding payload shaped like ``xray.service.analysis_to_json`` (for tests and the benchmark)."""
    findings = [] if verdict == "CLEAR" else [
        {"class_name": class_name, "score": score, "box": list(box), "box_mm": [v * 5 for v in box]}]
    code = {"CLEAR": "nothing_found", "REVIEW": "possible_contraband", "INSPECT": "contraband_detected"}[verdict]
    return {"verdict": verdict, "reasons": [{"code": code, "message": code, "evidence": {}}], "findings": findings,
            "empty_check": {"container_found": True, "content_seen": True, "content_fraction": 0.6,
                            "interior_box": [40, 60, 1500, 840], "declared_empty": None, "mismatch": False},
            "model_name": "xray-detector", "model_version": "synthetic", "width": 1600, "height": 900,
            "timings_ms": {}}


def example_declaration(number: str = "224820261000000001") -> dict[str, Any]:
    """A valid import declaration as JSON (the documented example; tests start from it)."""
    return {
        "number": number, "direction": "import", "port": "2248",
        "declarant": {"name": "Shanghai Harbour Customs Brokerage Co., Ltd.", "code": "91350100M000100Y43"},
        "consignee": {"name": "Pudong Electronics Trading Co., Ltd.", "code": "914403001922038216"},
        "transport": {"mode": "waterway", "bill_of_lading": "COSU6182736450", "vessel": "COSCO SHIPPING ARIES",
                      "voyage": "041E"},
        "trade_country": "DE", "loading_port": "DEHAM", "incoterm": "CIF", "currency": "USD", "package_count": 40,
        "items": [{"hs_code": "8471300000", "description": "portable computers", "quantity": 100, "unit": "pcs",
                   "gross_kg": 260.5, "net_kg": 210.0, "value": 42000, "origin": "DE"}],
        "containers": [{"number": "CSQU3054383", "size_type": "45G1"}],
        "documents": [{"type": "invoice", "number": "INV-2026-0001"},
                      {"type": "packing_list", "number": "PL-2026-0001"}],
    }
