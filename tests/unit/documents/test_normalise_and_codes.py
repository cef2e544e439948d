"""Value parsers (numbers, dates, units, currencies) and the trade code validators, success and failure side by side."""

import numpy as np
import pytest

from smartinspect.documents.normalise import norm_name, parse_currency, parse_date, parse_number, parse_unit
from smartinspect.domain.codes import (
    InvalidCode,
    random_uscc,
    verify_country,
    verify_currency,
    verify_hs_code,
    verify_incoterm,
    verify_uscc,
)
from smartinspect.domain.ports import normalise_port


@pytest.mark.parametrize(("text", "value"), [
    ("12,345.60", 12345.6), ("12.345,60", 12345.6), ("1,234", 1234.0), ("1.234.567", 1234567.0),
    ("USD 1,200.00", 1200.0), ("JPY 150,000", 150000.0), ("12345,6", 12345.6), ("net 7.5 kg", 7.5),
])
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "no digits", "USD"])
def test_parse_number_none(text):
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["2025-03-14", "14/03/2025", "Mar. 14, 2025", "14 MAR 2025", "14.03.2025",
                                  "March 14, 2025", "20250314", "2025年3月14日", "2025/03/14", "Date: 14-Mar-2025"])
def test_parse_date(text):
    assert parse_date(text) == "2025-03-14"


@pytest.mark.parametrize("text", ["31/02/2025", "99.99.9999", "INV-2025-00123", "no date"])
def test_parse_date_rejects(text):
    assert parse_date(text) is None


@pytest.mark.parametrize(("text", "unit"), [("PCS", "PCS"), ("1200 pieces", "PCS"), ("千克", "KG"), ("SETS", "SET"),
                                            ("台", "UNIT"), ("CBM", "M3"), ("PRS", "PAIR")])
def test_parse_unit(text, unit):
    assert parse_unit(text) == unit


@pytest.mark.parametrize(("text", "code"), [("US$1,200", "USD"), ("€ 12", "EUR"), ("美元", "USD"), ("Amount (USD)", "USD"),
                                            ("HK$ 3", "HKD"), ("RMB 12", "CNY"), ("日元 133,443", "JPY")])
def test_parse_currency(text, code):
    assert parse_currency(text) == code


@pytest.mark.parametrize("text", ["12,345.60 KGS", "TOTAL", "ALL ITEMS"])
def test_parse_currency_ignores_words(text):
    assert parse_currency(text) is None


def test_norm_name_ignores_punctuation_and_case():
    assert norm_name("Shanghai Huaxin Import & Export Co., Ltd.") == norm_name("SHANGHAI HUAXIN IMPORT EXPORT CO LTD")


@pytest.mark.parametrize(("raw", "code"), [("8471.30.00.00", "8471300000"), ("847130", "847130"), ("84713000", "84713000")])
def test_hs_valid(raw, code):
    assert verify_hs_code(raw) == code


@pytest.mark.parametrize(("raw", "reason"), [("84713", "6, 8 or 10"), ("7701300000", "chapter 77"),
                                             ("9901300000", "chapter 99"), ("8400300000", "heading"), ("84AB30", "digits")])
def test_hs_invalid(raw, reason):
    with pytest.raises(InvalidCode, match=reason):
        verify_hs_code(raw)


@pytest.mark.parametrize(("raw", "term"), [("CIF", "CIF"), ("fob Shanghai", "FOB"), ("DPU", "DPU")])
def test_incoterm_valid(raw, term):
    assert verify_incoterm(raw) == term


@pytest.mark.parametrize(("raw", "reason"), [("DAT", "replaced by DPU"), ("DDU", "retired"), ("XYZ", "not an Incoterms")])
def test_incoterm_invalid(raw, reason):
    with pytest.raises(InvalidCode, match=reason):
        verify_incoterm(raw)


@pytest.mark.parametrize(("raw", "ok"), [("USD", True), ("cny", True), ("EURO", False), ("RMB", False), ("XXX", False)])
def test_currency(raw, ok):
    if ok:
        assert verify_currency(raw) == raw.upper()
    else:
        with pytest.raises(InvalidCode, match="ISO 4217"):
            verify_currency(raw)


@pytest.mark.parametrize(("raw", "code"), [("DE", "DE"), ("Germany", "DE"), ("德国", "DE"), ("P.R. China", "CN"),
                                           ("U.S.A.", "US")])
def test_country(raw, code):
    assert verify_country(raw) == code


def test_country_unknown():
    with pytest.raises(InvalidCode, match="ISO 3166"):
        verify_country("Atlantis")


def test_uscc_known_good_and_random():
    assert verify_uscc("91350100M000100Y43") == "91350100M000100Y43"  # a published example code
    rng = np.random.default_rng(3)
    for _ in range(30):
        code = random_uscc(rng, region="440300")
        assert verify_uscc(code) == code and code[2:8] == "440300"


@pytest.mark.parametrize(("raw", "reason"), [("91350100M000100Y44", "GB 32100 gives"), ("91350100M000100Y4", "18 characters"),
                                             ("9135010OM000100Y43", "18 characters")])
def test_uscc_invalid(raw, reason):
    with pytest.raises(InvalidCode, match=reason):
        verify_uscc(raw)


@pytest.mark.parametrize(("text", "locode"), [("Shanghai, China", "CNSHA"), ("上海", "CNSHA"), ("HAMBURG", "DEHAM"),
                                              ("Port Klang", "MYPKG"), ("天津新港", "CNTXG"), ("Nowhere Bay", "NOWHERE BAY")])
def test_ports(text, locode):
    assert normalise_port(text) == locode
