"""Parse and normalise field values as printed: numbers, dates, units, currencies, names, references.

One copy of each rule: the extractor normalises what it reads with these, and the synthetic generator writes its
ground truth with the same functions, so a field matches exactly when it was read right.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from smartinspect.domain.codes import ISO_4217

# ---------------------------------------------------------------- text


def clean_text(text: str) -> str:
    """NFKC (full-width to ASCII, ideographic colon to ':'), single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


_NAME_DROP = re.compile(r"[^0-9A-Z\u4e00-\u9fff]")


def norm_name(text: str) -> str:
    """Company/goods names compare on letters, digits and CJK only: "Co., Ltd." == "CO LTD"."""
    return _NAME_DROP.sub("", clean_text(text).upper())


def norm_reference(text: str) -> str:
    """Document numbers (invoice, B/L, contract) compare on letters and digits: "INV-2025/001" -> "INV2025001"."""
    return re.sub(r"[^0-9A-Z]", "", clean_text(text).upper())


def norm_vessel(text: str) -> str:
    return " ".join(re.sub(r"[^0-9A-Z ]", " ", clean_text(text).upper()).split())


# ---------------------------------------------------------------- numbers

_NUMBER = re.compile(r"[-+]?\d[\d,.']*")


def parse_number(text: str) -> float | None:
    """The first number in ``text``; handles 12,345.60 / 12.345,60 / 12 345.60 / 12345,6. None if there is none."""
    match = _NUMBER.search(clean_text(text))
    if not match:
        return None
    raw = match.group(0).replace("'", "").rstrip(".,")
    return _number_from(raw)


def _number_from(raw: str) -> float | None:
    sign = -1.0 if raw.startswith("-") else 1.0
    raw = raw.lstrip("+-")
    if "," in raw and "." in raw:  # the later separator is the decimal point
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        raw = raw.replace(thousands, "").replace(decimal, ".")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        # 1,234 and 1,234,567 are thousands; 12,5 and 1234,56 are decimal commas.
        raw = raw.replace(",", "") if len(tail) == 3 and raw.count(",") >= 1 and head else head.replace(",", "") + "." + tail
    elif raw.count(".") > 1:
        raw = raw.replace(".", "")  # 1.234.567 (thousands dots, no decimals)
    try:
        return sign * float(raw)
    except ValueError:
        return None


def norm_amount(value: float) -> float:
    return round(float(value), 2)


# ---------------------------------------------------------------- dates

_MONTHS = {m: i + 1 for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                           "NOV", "DEC"))}
_DATE_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?"), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)"), "dmy"),
    (re.compile(r"(?<!\d)(\d{1,2})[\s\-.]*([A-Za-z]{3})[A-Za-z]*\.?[\s\-.,]*(\d{4})(?!\d)"), "d_mon_y"),
    (re.compile(r"([A-Za-z]{3})[A-Za-z]*\.?\s*(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(\d{4})(?!\d)"), "mon_d_y"),
    (re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"), "ymd"),
)


def parse_date(text: str) -> str | None:
    """ISO 8601 date from the common printed forms (2025-03-14, 14/03/2025, 14 MAR 2025, Mar. 14, 2025,
    2025年3月14日, 20250314); day-first where ambiguous. None if no valid date is found."""
    text = clean_text(text)
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            a, b, c = match.groups()
            try:
                if order == "ymd":
                    y, m, d = int(a), int(b), int(c)
                elif order == "dmy":
                    d, m, y = int(a), int(b), int(c)
                elif order == "d_mon_y":
                    d, m, y = int(a), _MONTHS.get(b[:3].upper(), 0), int(c)
                else:
                    m, d, y = _MONTHS.get(a[:3].upper(), 0), int(b), int(c)
                if 1990 <= y <= 2100:
                    return dt.date(y, m, d).isoformat()
            except ValueError:
                continue
    return None


_LOOSE_DATE_PATTERNS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"(?<!\d)(\d{1,2})[\s\-./]*([A-Za-z]{3})[A-Za-z]*\.?[\s\-./,]*(\d{4}|\d{2})(?![\d:])"), "d_mon_y"),
    (re.compile(r"(?<![\d.])(\d{1,2})[-/.~](\d{1,2})[-/.~](\d{2})(?![\d:/.-])"), "dmy"),
    (re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)"), "mdy"),
    (re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})(?!\d)"), "dmy"),
)


def parse_date_any(text: str) -> str | None:
    """``parse_date``, then the looser forms of shop receipts: two-digit years (12-01-19, 05/02/18; day first,
    2000-2099), 25/MAY/2018, 05 MAR 18, ddmmyyyy (25032018), and month-first where day-first is impossible
    (03/25/2018). Kept apart from ``parse_date`` so the customs-document rules keep their reading."""
    iso = parse_date(text)
    if iso is not None:
        return iso
    text = clean_text(text)
    for pattern, order in _LOOSE_DATE_PATTERNS:
        for match in pattern.finditer(text):
            a, b, c = match.groups()
            try:
                if order == "d_mon_y":
                    d, m, y = int(a), _MONTHS.get(b[:3].upper(), 0), int(c)
                elif order == "dmy":
                    d, m, y = int(a), int(b), int(c)
                else:
                    m, d, y = int(a), int(b), int(c)
                y = 2000 + y if y < 100 else y
                if 1990 <= y <= 2100:
                    return dt.date(y, m, d).isoformat()
            except ValueError:
                continue
    return None


# ---------------------------------------------------------------- units and currencies

UNITS: dict[str, tuple[str, ...]] = {
    "PCS": ("PCS", "PC", "PCE", "PIECE", "PIECES", "个", "件", "只"),
    "UNIT": ("UNIT", "UNITS", "台"),
    "SET": ("SET", "SETS", "套"),
    "PAIR": ("PAIR", "PAIRS", "PRS", "双"),
    "KG": ("KG", "KGS", "KILOGRAM", "KILOGRAMS", "千克", "公斤"),
    "BOTTLE": ("BOTTLE", "BOTTLES", "BTL", "BTLS", "瓶"),
    "M3": ("M3", "CBM", "立方米"),
    "M": ("M", "METER", "METERS", "METRE", "METRES", "MTR", "MTRS", "米"),
    "CTN": ("CTN", "CTNS", "CARTON", "CARTONS", "纸箱", "箱"),
}
_UNIT_BY_WORD = {word: code for code, words in UNITS.items() for word in words}
_UNIT_WORD = re.compile("|".join(sorted((re.escape(w) for w in _UNIT_BY_WORD), key=len, reverse=True)))


def parse_unit(text: str) -> str | None:
    """Canonical unit code (PCS, SET, KG...) of the first unit word in ``text``."""
    t = clean_text(text).upper()
    word = t.strip(" .")
    if word in _UNIT_BY_WORD:
        return _UNIT_BY_WORD[word]
    for match in _UNIT_WORD.finditer(t):
        w = match.group(0)
        ascii_word = w.isascii()
        before = t[match.start() - 1] if match.start() else " "
        after = t[match.end()] if match.end() < len(t) else " "
        if not ascii_word or (not before.isalpha() and not after.isalpha()):
            return _UNIT_BY_WORD[w]
    return None


CURRENCY_WORDS: dict[str, str] = {
    "US$": "USD", "U.S.$": "USD", "USD$": "USD", "US DOLLARS": "USD", "U.S. DOLLARS": "USD", "美元": "USD",
    "€": "EUR", "EURO": "EUR", "EUROS": "EUR", "欧元": "EUR", "£": "GBP", "英镑": "GBP", "JP¥": "JPY",
    "日元": "JPY", "YEN": "JPY", "RMB": "CNY", "人民币": "CNY", "￥": "CNY", "HK$": "HKD", "港币": "HKD",
    "港元": "HKD", "A$": "AUD", "AU$": "AUD", "澳大利亚元": "AUD", "澳元": "AUD", "韩元": "KRW",
}
_CURRENCY_WORD = re.compile("|".join(re.escape(w) for w in sorted(CURRENCY_WORDS, key=len, reverse=True)))
_CODE = re.compile(r"(?<![A-Z])([A-Z]{3})(?![A-Z])")
# ISO 4217 codes that are also common words on trade documents (KGS: kilograms, not Kyrgyz som).
_NOT_CURRENCY = {"ALL", "TOP", "CUP", "MOP", "PEN", "KGS", "SET", "BAM", "GEL", "MAD", "NIO", "SOS", "TRY"}


def parse_currency(text: str) -> str | None:
    """ISO 4217 code from a code (USD), a symbol (US$, €, £, HK$) or a word (美元, EURO) in ``text``."""
    t = unicodedata.normalize("NFKC", text).upper()
    t = re.sub(r"\b(US|HK|AU|A|NZ|SG|C)S(?=\s?\d)", r"\1$", t)  # "$" read as "S": "AS88.00" is A$88.00
    for match in _CODE.finditer(t):
        if match.group(1) in ISO_4217 and match.group(1) not in _NOT_CURRENCY:
            return match.group(1)
    match = _CURRENCY_WORD.search(t) or _CURRENCY_WORD.search(text)
    if match:
        return CURRENCY_WORDS[match.group(0)]
    if "$" in t:
        return "USD"
    return None
