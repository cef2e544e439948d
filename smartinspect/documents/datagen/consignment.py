"""The consignment model: one shipment, drawn first, from which all four documents are rendered consistently.

Weights are kilograms, values are in the invoice currency. Chinese parties carry a valid 18-character unified
social credit code; containers carry valid ISO 6346 check digits; net weight never exceeds gross weight.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from smartinspect.documents.datagen import catalog as cat
from smartinspect.domain.codes import COUNTRY_NAMES, random_uscc
from smartinspect.domain.containers import iso6346_check_digit
from smartinspect.domain.ports import port_by_locode

# Approximate rates to USD (unit prices in the catalogue are USD); decimals per currency.
CURRENCIES: dict[str, tuple[float, int, float]] = {  # code: (units per USD, decimals, probability)
    "USD": (1.0, 2, 0.5), "EUR": (0.92, 2, 0.18), "JPY": (150.0, 0, 0.08), "CNY": (7.2, 2, 0.08),
    "GBP": (0.79, 2, 0.06), "HKD": (7.8, 2, 0.05), "AUD": (1.5, 2, 0.05),
}
INCOTERM_WEIGHTS: dict[str, float] = {"FOB": 0.3, "CIF": 0.3, "CFR": 0.12, "EXW": 0.06, "FCA": 0.08, "DAP": 0.06,
                                      "DDP": 0.03, "CIP": 0.02, "CPT": 0.02, "DPU": 0.005, "FAS": 0.005}
_PLACE_AT_ORIGIN = {"EXW", "FCA", "FAS", "FOB"}  # the named place is the loading end


@dataclass
class Party:
    name_en: str
    name_zh: str | None  # Chinese companies only
    address_en: str
    address_zh: str | None
    country: str  # ISO 3166 alpha-2
    uscc: str | None  # 18-character unified social credit code (Chinese companies)


@dataclass
class GoodsLine:
    hs_code: str  # 10 digits
    description_en: str
    description_zh: str
    quantity: float
    unit: str  # canonical unit code
    unit_price: float
    amount: float
    packages: int
    net_kg: float
    gross_kg: float
    origin: str  # ISO 3166 alpha-2


@dataclass
class Container:
    number: str
    size_type: str
    seal: str
    packages: int
    gross_kg: float


@dataclass
class Consignment:
    consignment_id: str
    direction: str  # "import" into China or "export" from China
    declaration_no: str  # 18 digits: district, year, I/E flag (1 import, 0 export), serial
    consignor: Party
    consignee: Party
    bl_no: str
    carrier: str
    vessel: str
    voyage: str
    port_of_loading: str  # UN/LOCODE
    port_of_discharge: str
    invoice_no: str
    invoice_date: str  # ISO 8601
    contract_no: str
    declaration_date: str
    onboard_date: str
    currency: str
    incoterm: str
    incoterm_place: str  # English port name
    origin_country: str
    package_kind: str  # index into catalog.PACKAGE_KINDS as its English word
    items: list[GoodsLine] = field(default_factory=list)
    containers: list[Container] = field(default_factory=list)

    @property
    def total_value(self) -> float:
        return round(sum(i.amount for i in self.items), CURRENCIES[self.currency][1])

    @property
    def total_net_kg(self) -> float:
        return round(sum(i.net_kg for i in self.items), 2)

    @property
    def total_gross_kg(self) -> float:
        return round(sum(i.gross_kg for i in self.items), 2)

    @property
    def total_packages(self) -> int:
        return sum(i.packages for i in self.items)

    def to_dict(self) -> dict:
        return asdict(self) | {"total_value": self.total_value, "total_net_kg": self.total_net_kg,
                               "total_gross_kg": self.total_gross_kg, "total_packages": self.total_packages}

    def copy(self) -> Consignment:
        return copy.deepcopy(self)


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def chinese_party(rng: np.random.Generator) -> Party:
    city_en, city_zh, region = _pick(rng, cat.CN_CITIES)
    word_en, word_zh = _pick(rng, cat.CN_WORDS)
    kind_en, kind_zh = _pick(rng, cat.CN_KINDS)
    street_en, street_zh = _pick(rng, cat.CN_STREETS)
    n = int(rng.integers(1, 1999))
    return Party(name_en=f"{city_en} {word_en} {kind_en}", name_zh=f"{city_zh}{word_zh}{kind_zh}",
                 address_en=f"{street_en.format(n=n)}, {city_en}, CHINA", address_zh=f"{city_zh}市{street_zh.format(n=n)}",
                 country="CN", uscc=random_uscc(rng, region=region))


def foreign_party(rng: np.random.Generator, country: str) -> Party:
    stem, trade = _pick(rng, cat.FOREIGN_STEMS), _pick(rng, cat.FOREIGN_TRADES)
    suffix = _pick(rng, cat.FOREIGN_SUFFIX[country])
    city = port_by_locode(cat.FOREIGN_PORTS[country][0]).name_en
    n = int(rng.integers(1, 400))
    return Party(name_en=f"{stem} {trade} {suffix}", name_zh=None,
                 address_en=f"{n} HARBOUR STREET, {city}, {COUNTRY_NAMES[country][0]}", address_zh=None,
                 country=country, uscc=None)


def random_container(rng: np.random.Generator) -> str:
    first10 = _pick(rng, cat.CONTAINER_OWNERS) + "".join(str(d) for d in rng.integers(0, 10, size=6))
    return first10 + str(iso6346_check_digit(first10))


def _goods_lines(rng: np.random.Generator, currency: str, origin: str) -> list[GoodsLine]:
    rate, decimals, _ = CURRENCIES[currency]
    n_items = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.22, 0.13]))
    chosen = rng.choice(len(cat.GOODS), size=n_items, replace=False)
    lines = []
    for index in chosen:
        g = cat.GOODS[int(index)]
        per_pkg = int(rng.integers(g.per_package[0], g.per_package[1] + 1))
        packages = int(rng.integers(5, 400)) if g.unit_net_kg[0] < 100 else int(rng.integers(1, 12))
        quantity = float(packages * per_pkg)
        if g.unit in ("KG", "M3"):  # bulk: quantity is a measured amount, not a count
            quantity = round(quantity * float(rng.uniform(0.9, 1.0)), 2 if g.unit == "M3" else 1)
        net = round(quantity * float(rng.uniform(*g.unit_net_kg)), 2)
        gross = round(net * float(rng.uniform(1.02, 1.10)) + packages * float(rng.uniform(0.3, 2.0)), 2)
        unit_price = round(float(rng.uniform(*g.unit_price)) * rate, 2 if decimals else 0)
        amount = round(quantity * unit_price, decimals)
        lines.append(GoodsLine(g.hs_code, g.name_en, g.name_zh, quantity, g.unit, unit_price, amount, packages,
                               net, gross, origin))
    return lines


def _containers(rng: np.random.Generator, gross_kg: float, packages: int) -> list[Container]:
    n = max(1, min(4, math.ceil(gross_kg / 22_000.0) + int(rng.integers(0, 2))))
    shares = rng.dirichlet(np.full(n, 6.0))
    pkgs = np.floor(shares * packages).astype(int)
    pkgs[0] += packages - pkgs.sum()
    weights = [round(float(s * gross_kg), 2) for s in shares]
    weights[0] = round(gross_kg - sum(weights[1:]), 2)
    return [Container(random_container(rng), _pick(rng, cat.CONTAINER_TYPES)[0],
                      f"{_pick(rng, ('', 'SL', 'CN', 'H'))}{int(rng.integers(100000, 9999999))}", int(p), w)
            for p, w in zip(pkgs, weights, strict=True)]


def _reference(rng: np.random.Generator, year: int, kind: str) -> str:
    n = int(rng.integers(1, 99999))
    patterns = {
        "invoice": (f"INV-{year}-{n:05d}", f"{year % 100}HX{n:04d}", f"CI{year}{n:05d}", f"E{year % 100}-{n:05d}"),
        "contract": (f"CT{year}{n:05d}", f"PO-{year % 100}-{n:04d}", f"SC{year % 100}{n:05d}"),
    }[kind]
    return _pick(rng, patterns)


def sample_consignment(rng: np.random.Generator, consignment_id: str) -> Consignment:
    """Draw one consistent shipment (see module docstring for the invariants)."""
    direction = "import" if rng.random() < 0.7 else "export"
    foreign_country = _pick(rng, sorted(cat.FOREIGN_PORTS))
    cn_port, foreign_port = _pick(rng, cat.CN_PORTS), _pick(rng, cat.FOREIGN_PORTS[foreign_country])
    cn_party, foreign = chinese_party(rng), foreign_party(rng, foreign_country)
    if direction == "import":
        consignor, consignee, pol, pod = foreign, cn_party, foreign_port, cn_port
        origin = foreign_country if rng.random() < 0.8 else _pick(rng, sorted(cat.FOREIGN_PORTS))
    else:
        consignor, consignee, pol, pod, origin = cn_party, foreign, cn_port, foreign_port, "CN"
    names = list(CURRENCIES)
    currency = str(rng.choice(names, p=np.array([CURRENCIES[c][2] for c in names]) / sum(
        CURRENCIES[c][2] for c in names)))
    terms = list(INCOTERM_WEIGHTS)
    weights = np.array([INCOTERM_WEIGHTS[t] for t in terms])
    incoterm = str(rng.choice(terms, p=weights / weights.sum()))
    items = _goods_lines(rng, currency, origin)
    invoice_date = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900)))
    onboard = invoice_date + dt.timedelta(days=int(rng.integers(1, 8)))
    declared = onboard + dt.timedelta(days=int(rng.integers(1, 30)) if direction == "import" else -1)
    prefix, vessels = _pick(rng, cat.CARRIERS)
    bl_digits = int(rng.integers(9, 12))
    bl_no = prefix + "".join(str(d) for d in rng.integers(0, 10, size=bl_digits))
    voyage = f"{int(rng.integers(1, 999)):03d}{_pick(rng, 'EWNS')}" if rng.random() < 0.7 else \
        f"{invoice_date.year % 100}{int(rng.integers(1, 52)):02d}{_pick(rng, 'EW')}"
    district = cat.CUSTOMS_DISTRICT[cn_port]
    declaration_no = (f"{district}{declared.year}{1 if direction == 'import' else 0}"
                      f"{int(rng.integers(0, 10**9)):09d}")
    place = port_by_locode(pol if incoterm in _PLACE_AT_ORIGIN else pod).name_en
    c = Consignment(
        consignment_id=consignment_id, direction=direction, declaration_no=declaration_no, consignor=consignor,
        consignee=consignee, bl_no=bl_no, carrier=prefix, vessel=_pick(rng, vessels), voyage=voyage,
        port_of_loading=pol, port_of_discharge=pod, invoice_no=_reference(rng, invoice_date.year, "invoice"),
        invoice_date=invoice_date.isoformat(), contract_no=_reference(rng, invoice_date.year, "contract"),
        declaration_date=declared.isoformat(), onboard_date=onboard.isoformat(), currency=currency,
        incoterm=incoterm, incoterm_place=place, origin_country=origin,
        package_kind=_pick(rng, cat.PACKAGE_KINDS)[0], items=items)
    c.containers = _containers(rng, c.total_gross_kg, c.total_packages)
    return c
