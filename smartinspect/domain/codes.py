"""Generic trade code validators: HS codes, Incoterms 2020, ISO 4217 currencies, ISO 3166 countries and China's
unified social credit code (统一社会信用代码, GB 32100-2015).

Each ``verify_*`` returns the normalised value or raises :class:`InvalidCode` (a ``ValueError``) saying why.
"""

from __future__ import annotations

import re

import numpy as np


class InvalidCode(ValueError):
    """A code failed validation; the message carries the value and the rule."""


# ---------------------------------------------------------------- HS codes

_HS_DIGITS = re.compile(r"^\d+$")


def normalise_hs_code(raw: str) -> str:
    """Drop dots, spaces and dashes: ``"8471.30.00 00"`` -> ``"8471300000"``."""
    return re.sub(r"[\s.\-]", "", raw)


def verify_hs_code(raw: str) -> str:
    """A 6-digit HS subheading, an 8-digit tariff line or China's 10-digit 商品编号; chapter 01-97, not 77."""
    code = normalise_hs_code(raw)
    if not _HS_DIGITS.match(code) or len(code) not in (6, 8, 10):
        raise InvalidCode(f"HS code {raw!r} must be 6, 8 or 10 digits (China's 商品编号 has 10)")
    chapter = int(code[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        raise InvalidCode(f"HS code {raw!r} has chapter {code[:2]}; the HS has chapters 01-97 (77 is reserved)")
    if code[2:4] == "00":
        raise InvalidCode(f"HS code {raw!r} has heading {code[:4]}; headings run from xx01")
    return code


# ---------------------------------------------------------------- Incoterms 2020

INCOTERMS_2020: tuple[str, ...] = ("EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP")
_RETIRED_INCOTERMS = {"DAT": "replaced by DPU in 2020", "DAF": "retired in 2010", "DES": "retired in 2010",
                      "DEQ": "retired in 2010", "DDU": "retired in 2010"}


def verify_incoterm(raw: str) -> str:
    """An Incoterms 2020 rule (three letters, e.g. ``CIF``); a named place after it is allowed and dropped."""
    words = raw.strip().upper().replace(".", "").split()
    term = words[0] if words else ""
    if term in INCOTERMS_2020:
        return term
    why = _RETIRED_INCOTERMS.get(term, "not an Incoterms 2020 rule")
    raise InvalidCode(f"Incoterm {raw!r}: {why}; Incoterms 2020 are {', '.join(INCOTERMS_2020)}")


# ---------------------------------------------------------------- ISO 4217

ISO_4217: frozenset[str] = frozenset(["AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"])


def verify_currency(raw: str) -> str:
    """An active ISO 4217 alphabetic code (``USD``, ``CNY``...)."""
    code = raw.strip().upper()
    if code not in ISO_4217:
        raise InvalidCode(f"currency {raw!r} is not an active ISO 4217 code (e.g. USD, EUR, CNY, JPY)")
    return code


# ---------------------------------------------------------------- ISO 3166

ISO_3166_ALPHA2: frozenset[str] = frozenset(["AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW"])

# English and Chinese names of the countries China trades with most (documents spell them out).
COUNTRY_NAMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "CN": ("CHINA", "中国", ("P.R. CHINA", "PRC", "PEOPLE'S REPUBLIC OF CHINA", "CHINA P.R.")),
    "DE": ("GERMANY", "德国", ("FEDERAL REPUBLIC OF GERMANY",)),
    "JP": ("JAPAN", "日本", ()),
    "US": ("UNITED STATES", "美国", ("USA", "U.S.A.", "UNITED STATES OF AMERICA")),
    "KR": ("KOREA", "韩国", ("SOUTH KOREA", "REPUBLIC OF KOREA")),
    "VN": ("VIETNAM", "越南", ("VIET NAM",)),
    "IT": ("ITALY", "意大利", ()),
    "FR": ("FRANCE", "法国", ()),
    "GB": ("UNITED KINGDOM", "英国", ("UK", "U.K.", "GREAT BRITAIN")),
    "TH": ("THAILAND", "泰国", ()),
    "MY": ("MALAYSIA", "马来西亚", ()),
    "AU": ("AUSTRALIA", "澳大利亚", ()),
    "BR": ("BRAZIL", "巴西", ()),
    "NL": ("NETHERLANDS", "荷兰", ("THE NETHERLANDS", "HOLLAND")),
    "ES": ("SPAIN", "西班牙", ()),
    "IN": ("INDIA", "印度", ()),
    "ID": ("INDONESIA", "印度尼西亚", ("印尼",)),
    "SG": ("SINGAPORE", "新加坡", ()),
    "CA": ("CANADA", "加拿大", ()),
    "CH": ("SWITZERLAND", "瑞士", ()),
    "BE": ("BELGIUM", "比利时", ()),
    "HK": ("HONG KONG", "中国香港", ("HONGKONG", "HONG KONG SAR", "香港")),
    "TW": ("TAIWAN", "中国台湾", ("台湾",)),
    "SE": ("SWEDEN", "瑞典", ()),
    "NZ": ("NEW ZEALAND", "新西兰", ()),
    "CL": ("CHILE", "智利", ()),
    "RU": ("RUSSIA", "俄罗斯", ("RUSSIAN FEDERATION",)),
    "MX": ("MEXICO", "墨西哥", ()),
}

_NAME_KEY = re.compile(r"[^0-9A-Z\u4e00-\u9fff]")
_COUNTRY_BY_NAME: dict[str, str] = {}
for _code, (_en, _zh, _aliases) in COUNTRY_NAMES.items():
    for _name in (_en, _zh, *_aliases):
        _COUNTRY_BY_NAME[_NAME_KEY.sub("", _name.upper())] = _code


def verify_country(raw: str) -> str:
    """ISO 3166-1 alpha-2 code from a code (``DE``), an alpha-2 in any case, or a known en/zh name."""
    text = raw.strip().upper()
    if text in ISO_3166_ALPHA2:
        return text
    code = _COUNTRY_BY_NAME.get(_NAME_KEY.sub("", text))
    if code is None:
        raise InvalidCode(f"country {raw!r} is neither an ISO 3166-1 alpha-2 code nor a known country name")
    return code


# ---------------------------------------------------------------- unified social credit code (GB 32100-2015)

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_PATTERN = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


def uscc_check_char(first17: str) -> str:
    """The 18th character for the first 17 (weights 3^i mod 31, check = 31 - sum mod 31)."""
    if len(first17) != 17 or any(ch not in USCC_CHARSET for ch in first17):
        raise InvalidCode(f"need 17 characters of {USCC_CHARSET} to compute a USCC check, got {first17!r}")
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def verify_uscc(raw: str) -> str:
    """The normalised 18-character unified social credit code, or :class:`InvalidCode` saying why."""
    code = re.sub(r"[\s\-]", "", raw).upper()
    if not _USCC_PATTERN.match(code):
        raise InvalidCode(f"unified social credit code {raw!r} is not 18 characters of {USCC_CHARSET} "
                          "with a 6-digit region code")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise InvalidCode(f"unified social credit code {raw!r} ends in {code[17]}, GB 32100 gives {expected}")
    return code


def random_uscc(rng: np.random.Generator, *, region: str = "310000") -> str:
    """A valid code for an enterprise (registration 9, category 1) in ``region``, for synthetic data."""
    org = "".join(str(d) for d in rng.integers(0, 10, size=8))
    # GB 11714 organisation code check digit over the 8 body digits.
    c9 = 11 - sum(int(d) * w for d, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    org += {10: "X", 11: "0"}.get(c9, str(c9))
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)
