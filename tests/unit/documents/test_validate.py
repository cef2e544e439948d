"""Per-document validation rules, success and failure side by side."""

import datetime as dt

import pytest

from smartinspect.documents.types import DocType, DocumentExtraction, ExtractedField, LineItem, Severity
from smartinspect.documents.validate import validate_extraction


def extraction(fields: dict, items: list[dict] | None = None) -> DocumentExtraction:
    fs = []
    for name, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            fs.append(ExtractedField(name, str(v), v, 0.9, 0))
    its = [LineItem({k: ExtractedField(k, str(v), v, 0.9, 0) for k, v in item.items()}) for item in items or []]
    return DocumentExtraction(DocType.invoice, 1.0, "en", fs, its)


def results(ex, code):
    return [v for v in validate_extraction(ex, today=dt.date(2025, 6, 1)) if v.code == code]


@pytest.mark.parametrize(("field", "value", "code", "ok"), [
    ("container_numbers", "CSQU3054383", "iso6346", True), ("container_numbers", "CSQU3054384", "iso6346", False),
    ("hs_codes", "8471300000", "hs_structure", True), ("hs_codes", "7701300000", "hs_structure", False),
    ("incoterm", "CIF", "incoterm_2020", True), ("incoterm", "DAT", "incoterm_2020", False),
    ("currency", "USD", "iso4217", True), ("currency", "USX", "iso4217", False),
    ("consignee_uscc", "91350100M000100Y43", "uscc", True), ("consignee_uscc", "91350100M000100Y44", "uscc", False),
    ("declaration_no", "531620251504418626", "declaration_no", True), ("declaration_no", "53162025150441862", "declaration_no", False),
    ("invoice_date", "2025-03-14", "date", True), ("invoice_date", "2031-03-14", "date", False),
])
def test_code_and_date_rules(field, value, code, ok):
    [check] = results(extraction({field: value}), code)
    assert check.ok is ok and check.field == field and check.message


def test_invalid_container_is_high_severity():
    [check] = results(extraction({"container_numbers": "CSQU3054384"}), "iso6346")
    assert check.severity == Severity.high and "check digit" in check.message


ITEMS = [{"quantity": 10.0, "unit_price": 2.5, "amount": 25.0, "net_kg": 100.0, "gross_kg": 110.0, "packages": 2},
         {"quantity": 4.0, "unit_price": 10.0, "amount": 40.0, "net_kg": 50.0, "gross_kg": 55.0, "packages": 1}]


@pytest.mark.parametrize(("total_field", "total", "code", "ok"), [
    ("total_value", 65.0, "items_sum_value", True), ("total_value", 75.0, "items_sum_value", False),
    ("net_weight", 150.0, "items_sum_net", True), ("net_weight", 160.0, "items_sum_net", False),
    ("gross_weight", 165.0, "items_sum_gross", True), ("gross_weight", 180.0, "items_sum_gross", False),
    ("packages", 3, "items_sum_packages", True), ("packages", 4, "items_sum_packages", False),
])
def test_items_sum_to_totals(total_field, total, code, ok):
    [check] = results(extraction({total_field: total}, ITEMS), code)
    assert check.ok is ok


def test_quantity_times_price():
    bad = [dict(ITEMS[0], amount=30.0)]
    assert [v.ok for v in results(extraction({}, ITEMS), "qty_x_price")] == [True, True]
    assert [v.ok for v in results(extraction({}, bad), "qty_x_price")] == [False]


@pytest.mark.parametrize(("net", "gross", "ok"), [(150.0, 165.0, True), (165.0, 165.0, True), (170.0, 165.0, False)])
def test_net_not_above_gross(net, gross, ok):
    [check] = results(extraction({"net_weight": net, "gross_weight": gross}), "net_le_gross")
    assert check.ok is ok and check.severity == Severity.high


def test_missing_fields_are_not_checked():
    assert validate_extraction(extraction({})) == []
