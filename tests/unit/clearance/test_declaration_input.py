"""Declaration input: valid ones are normalised; bad codes, weights and numbers are refused with the reason."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.synthetic import example_declaration
from smartinspect.domain.codes import InvalidCode
from smartinspect.domain.customs import declaration_number, verify_declaration_number

VALID = example_declaration()
VALID.update({"trade_country": "de", "incoterm": "cif shanghai", "currency": "usd"})
VALID["items"][0]["hs_code"] = "8471.30.00 00"
VALID["containers"][0]["number"] = "csqu 305438-3"


def with_change(path: str, value):
    data = copy.deepcopy(VALID)
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[keys[-1]] = value
    return data


def test_valid_declaration_is_normalised():
    decl = DeclarationCreate.model_validate(VALID)
    assert decl.customs_office == "2248"  # from the number
    assert decl.items[0].hs_code == "8471300000"
    assert (decl.trade_country, decl.currency, decl.incoterm) == ("DE", "USD", "CIF")
    assert decl.containers[0].number == "CSQU3054383"
    assert decl.item_currency(decl.items[0]) == "USD" and decl.total_value() == 42000
    assert decl.request_sha256() == DeclarationCreate.model_validate(copy.deepcopy(VALID)).request_sha256()


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("items.0.hs_code", "8471", "6, 8 or 10 digits"),
        ("items.0.hs_code", "7700000000", "chapter 77"),
        ("items.0.hs_code", "84A1300000", "6, 8 or 10 digits"),
        ("items.0.gross_kg", -5, "greater than 0"),
        ("items.0.net_kg", 300.0, "exceeds gross weight"),
        ("items.0.quantity", 0, "greater than 0"),
        ("items.0.value", -1, "greater than or equal to 0"),
        ("currency", "XYZ", "ISO 4217"),
        ("items.0.currency", "RMB", "ISO 4217"),
        ("items.0.origin", "Atlantis", "ISO 3166"),
        ("incoterm", "DAT", "replaced by DPU"),
        ("consignee.code", "91330000MA27U0JB4P", "GB 32100 gives L"),
        ("containers.0.number", "CSQU3054384", "check digit"),
        ("number", "22482026100000001", "18 digits"),
        ("number", "224820260000000001", "I/E flag 0"),
        ("customs_office", "2201", "differs from the number"),
        ("port", "22", "4 digits"),
        ("items", [], "at least 1"),
        ("direction", "transit", "import"),
        ("unknown_field", 1, "Extra inputs"),
    ],
)
def test_invalid_declarations_are_refused_with_the_reason(path, value, reason):
    with pytest.raises(ValidationError, match=reason):
        DeclarationCreate.model_validate(with_change(path, value))


def test_duplicate_containers_are_refused():
    data = with_change("containers", [{"number": "CSQU3054383"}, {"number": "csqu3054383"}])
    with pytest.raises(ValidationError, match="listed twice"):
        DeclarationCreate.model_validate(data)


def test_nan_is_refused():
    with pytest.raises(ValidationError):
        DeclarationCreate.model_validate(with_change("items.0.value", float("nan")))


def test_declaration_numbers():
    number = declaration_number(customs_code="2248", year=2026, direction="export", sequence=42)
    assert number == "224820260000000042"
    assert verify_declaration_number(number, direction="export") == number
    with pytest.raises(InvalidCode, match="year"):
        verify_declaration_number("224812341000000001")
