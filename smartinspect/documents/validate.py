"""Checks on one document's extracted fields: code structures (ISO 6346, HS, Incoterms 2020, ISO 4217, USCC,
declaration number), dates, line items summing to the totals, and net weight <= gross weight."""

from __future__ import annotations

import datetime as dt

from smartinspect.documents.types import DocumentExtraction, Severity, Validation
from smartinspect.domain.codes import InvalidCode, verify_currency, verify_hs_code, verify_incoterm, verify_uscc
from smartinspect.domain.containers import InvalidContainerNumber, verify_container_number
from smartinspect.domain.customs import verify_declaration_number

SUM_TOLERANCE = 0.005  # relative: printed totals are rounded, sums of rounded items drift by cents
_CODE_RULES = (
    ("container_numbers", "iso6346", verify_container_number, InvalidContainerNumber, Severity.high),
    ("hs_codes", "hs_structure", verify_hs_code, InvalidCode, Severity.medium),
    ("incoterm", "incoterm_2020", verify_incoterm, InvalidCode, Severity.medium),
    ("currency", "iso4217", verify_currency, InvalidCode, Severity.medium),
    ("consignor_uscc", "uscc", verify_uscc, InvalidCode, Severity.medium),
    ("consignee_uscc", "uscc", verify_uscc, InvalidCode, Severity.medium),
    ("declaration_no", "declaration_no", verify_declaration_number, InvalidCode, Severity.medium),
)


def _close(a: float, b: float, tolerance: float = SUM_TOLERANCE) -> bool:
    return abs(a - b) <= max(0.011, tolerance * max(abs(a), abs(b)))


def check_codes(extraction: DocumentExtraction) -> list[Validation]:
    out = []
    for name, code, verify, error, severity in _CODE_RULES:
        for value in extraction.values(name):
            try:
                verify(str(value))
                out.append(Validation(name, code, True, f"{value} is valid", severity))
            except error as exc:
                out.append(Validation(name, code, False, str(exc), severity))
    return out


def check_dates(extraction: DocumentExtraction, *, today: dt.date | None = None) -> list[Validation]:
    """A date must exist (the readers only keep real calendar dates) and lie between 1990 and a year from now."""
    today = today or dt.date.today()
    out = []
    for name in ("invoice_date",):
        value = extraction.value(name)
        if value is None:
            continue
        day = dt.date.fromisoformat(str(value))
        ok = dt.date(1990, 1, 1) <= day <= today + dt.timedelta(days=366)
        message = f"{name} {day} is plausible" if ok else f"{name} {day} lies outside 1990 .. a year from today"
        out.append(Validation(name, "date", ok, message, Severity.low))
    return out


def check_sums(extraction: DocumentExtraction) -> list[Validation]:
    """Items must add up to the printed totals: value, net and gross weight, packages; and qty x price = amount."""
    out = []
    items = extraction.items
    pairs = (("amount", "total_value", "items_sum_value"), ("net_kg", "net_weight", "items_sum_net"),
             ("gross_kg", "gross_weight", "items_sum_gross"), ("packages", "packages", "items_sum_packages"))
    for item_key, total_name, code in pairs:
        total = extraction.get(total_name)
        values = [i.get(item_key) for i in items]
        if total is None or total.derived or not items or any(v is None for v in values):
            continue
        summed = round(sum(float(v) for v in values), 2)
        ok = _close(summed, float(total.normalised))
        out.append(Validation(total_name, code, ok, f"items sum to {summed:,.2f}, the document states "
                                                    f"{float(total.normalised):,.2f}", Severity.medium))
    for n, item in enumerate(items, start=1):
        qty, price, amount = item.get("quantity"), item.get("unit_price"), item.get("amount")
        if None not in (qty, price, amount):
            ok = _close(float(qty) * float(price), float(amount), 0.01)
            out.append(Validation(f"items[{n}].amount", "qty_x_price", ok,
                                  f"line {n}: {qty} x {price} = {float(qty) * float(price):,.2f}, stated {amount}",
                                  Severity.low))
    return out


def check_weights(extraction: DocumentExtraction) -> list[Validation]:
    """Net weight cannot exceed gross weight: on the document totals and on every line."""
    out = []
    net, gross = extraction.value("net_weight"), extraction.value("gross_weight")
    if net is not None and gross is not None:
        ok = float(net) <= float(gross) + 0.01
        out.append(Validation("net_weight", "net_le_gross", ok, f"net {float(net):,.2f} kg vs gross "
                                                                f"{float(gross):,.2f} kg", Severity.high))
    for n, item in enumerate(extraction.items, start=1):
        inet, igross = item.get("net_kg"), item.get("gross_kg")
        if inet is not None and igross is not None and float(inet) > float(igross) + 0.01:
            out.append(Validation(f"items[{n}].net_kg", "net_le_gross", False,
                                  f"line {n}: net {inet} kg exceeds gross {igross} kg", Severity.high))
    return out


def validate_extraction(extraction: DocumentExtraction, *, today: dt.date | None = None) -> list[Validation]:
    """Every check that applies to what was extracted (a field that was not found is not checked)."""
    return check_codes(extraction) + check_dates(extraction, today=today) + check_sums(extraction) + \
        check_weights(extraction)
