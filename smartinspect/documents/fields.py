"""The extraction lexicon (labels and column headers, en + zh) and the typed value readers of each field.

A reader takes the text printed after or under a label and returns a ``Reading`` (the value as printed, its
normalised form and a rule certainty) or None when the text cannot be that field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from smartinspect.documents.normalise import (
    clean_text,
    norm_amount,
    norm_name,
    norm_reference,
    norm_vessel,
    parse_currency,
    parse_date,
    parse_number,
)
from smartinspect.domain.codes import INCOTERMS_2020, InvalidCode, verify_country, verify_hs_code, verify_uscc
from smartinspect.domain.containers import InvalidContainerNumber, verify_container_number
from smartinspect.domain.ports import find_port

# Field -> label patterns (regex, case-insensitive, matched at the start of a line). Party labels map to roles.
LABELS: dict[str, tuple[str, ...]] = {
    "declaration_no": (r"海关编号", r"报关单(编)?号(码)?", r"customs\s*declaration\s*no\.?"),
    "pre_entry_no": (r"预录入编号", r"统一编号"),
    "invoice_no": (r"invoice\s*(no|number|#)\.?", r"inv\.?\s*(no\.?|#)", r"发票(号码|号|编号)"),
    "invoice_date": (r"invoice\s*date", r"date\s*of\s*invoice", r"issue\s*date", r"date", r"发票日期", r"开票日期",
                     r"日期"),
    "bl_no": (r"b\s*/\s*l\s*(no|number)\.?", r"bill\s*of\s*lading\s*(no|number)\.?", r"bl\s*(no|number)\.?",
              r"提(运)?单号(码)?"),
    "consignor": (r"seller", r"shipper\s*/\s*exporter", r"shipper", r"exporter", r"consignor", r"sold\s*by",
                  r"vendor", r"卖方(\s*/\s*出口商)?", r"出口商", r"托运人", r"境外发货人", r"境内发货人", r"发货单位",
                  r"发货人"),
    "consignee": (r"buyer", r"consignee", r"consigned\s*to", r"ship\s*to", r"sold\s*to", r"messrs\.?",
                  r"importer", r"bill\s*to", r"买方(\s*/\s*收货人)?", r"进口商", r"境内收货人", r"境外收货人",
                  r"收货单位", r"收货人"),
    "notify": (r"notify\s*party", r"also\s*notify", r"通知(方|人)"),
    "port_of_loading": (r"port\s*of\s*loading", r"port\s*of\s*shipment", r"loading\s*port", r"from", r"pol",
                        r"装货港", r"起运港", r"启运港", r"离境口岸"),
    "port_of_discharge": (r"port\s*of\s*discharge", r"port\s*of\s*destination", r"destination", r"to", r"pod",
                          r"卸货港", r"目的港", r"指运港", r"入境口岸"),
    "vessel_voyage": (r"vessel\s*(/|&|and)\s*voy(age)?\.?(\s*no\.?)?", r"ocean\s*vessel\s*/\s*voy(age)?\.?(\s*no\.?)?",
                      r"运输工具名称及航次号", r"船名航次"),
    "vessel": (r"ocean\s*vessel", r"vessel(\s*name)?", r"carrier", r"shipped\s*per", r"船名", r"运输工具名称"),
    "voyage": (r"voy(age)?\.?\s*(no\.?)?", r"航次号?"),
    "incoterm": (r"terms\s*of\s*delivery", r"incoterms?(\s*2020)?", r"price\s*terms", r"trade\s*terms",
                 r"delivery\s*terms", r"成交方式", r"价格条款", r"贸易术语"),
    "currency": (r"currency", r"币制", r"币种"),
    "origin_country": (r"country\s*of\s*origin", r"origin", r"made\s*in", r"原产国(\(地区\))?", r"原产地"),
    "total_value": (r"total\s*amount", r"total\s*value", r"grand\s*total", r"invoice\s*total", r"total",
                    r"总价合计", r"总金额", r"合计", r"总计"),
    "gross_weight": (r"(total\s*)?gross\s*weight", r"(total\s*)?g\s*\.?\s*w\s*\.?", r"毛重(\((千克|kg)\))?"),
    "net_weight": (r"(total\s*)?net\s*weight", r"(total\s*)?n\s*\.?\s*w\s*\.?", r"净重(\((千克|kg)\))?"),
    "packages": (r"(total\s*)?(no\.?\s*of\s*|number\s*of\s*|quantity\s*of\s*)?packages", r"(总)?件数"),
    "container_numbers": (r"container\s*(no|number)s?\.?(\s*/\s*seal\s*no\.?)?", r"containers", r"cntr\s*nos?\.?",
                          r"集装箱号", r"箱号"),
    "hs_codes": (r"description\s*of\s*(packages\s*and\s*)?goods", r"(货物描述\s*)?description\s*of\s*goods"),
    "uscc": (r"uscc(\s*no\.?)?", r"unified\s*social\s*credit\s*code", r"tax\s*id", r"统一社会信用代码", r"信用代码"),
}
# Short, common words: a label only with a colon, alone on the line, or followed by a value of the right type.
STRICT_LABELS = {r"from", r"to", r"pol", r"pod", r"date", r"origin", r"total", r"carrier", r"日期", r"合计",
                 r"总计", r"destination", r"currency", r"containers"}

COLUMNS: dict[str, tuple[str, ...]] = {
    "no": (r"no\.?", r"item", r"#", r"项号", r"序号"),
    "description": (r"description(\s*of\s*goods)?", r"commodity", r"goods", r"商品名称(及规格型号)?", r"货物名称",
                    r"品名"),
    "hs_code": (r"h\.?\s*s\.?\s*(code|no\.?)", r"tariff\s*no\.?", r"商品编号", r"海关编码", r"hs\s*编码"),
    "quantity": (r"quantity", r"qty", r"数量(及单位)?"),
    "unit": (r"unit", r"uom", r"单位"),
    "unit_price": (r"unit\s*price", r"u\s*/\s*price", r"price", r"单价"),
    "amount": (r"amount", r"total(\s*price)?", r"value", r"总价", r"金额"),
    "currency": (r"curr\.?", r"币制"),
    "origin": (r"origin", r"原产国(\(地区\))?", r"原产地"),
    "packages": (r"packages", r"pkgs", r"ctns", r"件数", r"箱数"),
    "net_kg": (r"n\.?\s*w\.?(\s*\(kgs?\))?", r"net\s*wt\.?(\s*\(kgs?\))?", r"net\s*weight", r"净重(\(千克\))?"),
    "gross_kg": (r"g\.?\s*w\.?(\s*\(kgs?\))?", r"gross\s*wt\.?(\s*\(kgs?\))?", r"gross\s*weight", r"毛重(\(千克\))?"),
}

DOC_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # type: (title words, body words)
    "declaration": (("报关单", "customs declaration"), ("海关编号", "预录入编号", "申报日期", "监管方式", "征免性质",
                                                      "境内收货人", "境内发货人", "进境关别", "出境关别")),
    "invoice": (("commercial invoice", "invoice", "商业发票", "发票"), ("unit price", "amount", "单价", "总价",
                                                                   "seller", "buyer", "卖方", "买方")),
    "packing_list": (("packing list", "装箱单", "weight note"), ("n.w.", "g.w.", "net wt", "gross wt", "净重",
                                                               "毛重", "measurement")),
    "bill_of_lading": (("bill of lading", "提单", "sea waybill"), ("shipper", "notify", "on board", "carrier",
                                                                  "freight", "托运人", "通知方", "vessel")),
}


def _compile(table: dict[str, tuple[str, ...]], tail: str) -> list[tuple[str, str, re.Pattern]]:
    return [(name, p, re.compile(rf"^\s*(?:{p}){tail}", re.IGNORECASE)) for name, ps in table.items() for p in ps]


LABEL_PATTERNS = _compile(LABELS, r"(?![a-z])\s*[:：]?\s*")
COLUMN_PATTERNS = _compile(COLUMNS, r"(?![a-z])\s*[:：]?\s*")


@dataclass(frozen=True)
class Reading:
    value: str  # as printed (cleaned)
    normalised: str | float | int
    certainty: float  # rule certainty in [0, 1]; multiplied by OCR confidence


Reader = Callable[[str], "Reading | None"]

# OCR confusions: letters read in digit positions and digits read in letter positions.
TO_DIGIT = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"})
TO_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"})
_CONTAINER = re.compile(r"(?<![A-Z0-9])([A-Z0-9]{3})\s?([UJZ])\s?[-.]?\s?([0-9OIDQLSBZG]{3}\s?[0-9OIDQLSBZG]{3})"
                        r"\s?[-.]?\s?([0-9OIDQLSBZG])(?![A-Z0-9])")


def find_containers(text: str) -> list[Reading]:
    """ISO 6346 numbers in ``text``, also when OCR spaced or split them or confused O/0, I/1, S/5, B/8.

    Confusions are repaired only where a character has the wrong kind for its position; a number whose check
    digit still fails is kept (certainty 0.6), so validation can flag it.
    """
    out = []
    for m in _CONTAINER.finditer(clean_text(text).upper()):
        owner = m.group(1).translate(TO_LETTER)
        if not owner.isalpha():
            continue
        digits = (m.group(3).replace(" ", "") + m.group(4)).translate(TO_DIGIT)
        number = owner + m.group(2) + digits
        repaired = number != re.sub(r"\s", "", m.group(0)).replace("-", "").replace(".", "")
        try:
            verify_container_number(number)
            certainty = 0.9 if repaired else 1.0
        except InvalidContainerNumber:
            certainty = 0.6
        out.append(Reading(m.group(0), number, certainty))
    return out


_USCC = re.compile(r"(?<![0-9A-Z])([0-9A-Z]{2}\s?\d{6}\s?[0-9A-Z]{9}\s?[0-9A-Z])(?![0-9A-Z])")


_USCC_LABEL = re.compile(r"(USCC|CODE|代码|TAX\s*ID|NO\.?)\s*[:：\[(（]?\s*", re.IGNORECASE)


def read_uscc(text: str) -> Reading | None:
    """The 18-character credit code in ``text``; repairs O->0, I->1, S->5, Z->2, V->U (not in its alphabet).
    A label glued to the code ("USCC91440300...", "Code[9144...") is cut off first."""
    for m in _USCC.finditer(_USCC_LABEL.sub(" ", clean_text(text)).upper()):
        raw = m.group(1).replace(" ", "")
        for candidate, certainty in ((raw, 1.0), (raw.translate(str.maketrans("OISZV", "0152U")), 0.9)):
            try:
                return Reading(m.group(1), verify_uscc(candidate), certainty)
            except InvalidCode:
                continue
        return Reading(m.group(1), raw, 0.5)
    return None


_DECL_NO = re.compile(r"(?<!\d)(\d[\d ]{16,20}\d)(?!\d)")


def read_declaration_no(text: str) -> Reading | None:
    for m in _DECL_NO.finditer(clean_text(text)):
        digits = m.group(1).replace(" ", "")
        if len(digits) == 18:
            return Reading(m.group(1), digits, 1.0)
    return None


_REF_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-/.]{2,30}[A-Z0-9]")


def read_reference(text: str, *, min_digits: int = 3) -> Reading | None:
    """A document number: the first token with enough digits ("INV-2025-00123", "COSU6312345670")."""
    for m in _REF_TOKEN.finditer(clean_text(text).upper()):
        token = m.group(0)
        if sum(ch.isdigit() for ch in token) >= min_digits and parse_date(token) is None:
            return Reading(token, norm_reference(token), 0.95)
    return None


def read_date(text: str) -> Reading | None:
    iso = parse_date(text)
    return Reading(clean_text(text), iso, 0.95) if iso else None


_LABELISH = re.compile(r"^[\W_]*$")


def read_name(text: str) -> Reading | None:
    t = clean_text(text).strip(" :：")
    if len(norm_name(t)) < 3 or _LABELISH.match(t) or parse_number(t) is not None and len(norm_name(t)) < 6:
        return None
    return Reading(t, norm_name(t), 0.85)


def read_amount(text: str) -> Reading | None:
    value = parse_number(text)
    return Reading(clean_text(text), norm_amount(value), 0.95) if value is not None and value >= 0 else None


def read_weight(text: str) -> Reading | None:
    value = parse_number(text)
    if value is None or value < 0:
        return None
    t = clean_text(text).upper()
    if re.search(r"\b(MT|TONS?|TONNES?)\b|吨", t):
        value *= 1000.0
    elif re.search(r"\bLBS?\b", t):
        value *= 0.45359237
    return Reading(clean_text(text), norm_amount(value), 0.95)


def read_packages(text: str) -> Reading | None:
    value = parse_number(text)
    return Reading(clean_text(text), round(value), 0.95) if value is not None and value >= 1 else None


def read_currency(text: str) -> Reading | None:
    code = parse_currency(text)
    return Reading(clean_text(text), code, 0.95) if code else None


_INCOTERM = re.compile(r"(?<![A-Z])(EXW|FCA|FAS|FOB|CFR|CIF|CPT|CIP|DAP|DPU|DDP|DAT|DDU|DAF|DES|DEQ|C\s?&\s?F|CNF)"
                       r"(?![A-Z])")


def read_incoterm(text: str) -> Reading | None:
    m = _INCOTERM.search(clean_text(text).upper())
    if not m:
        return None
    term = re.sub(r"\s", "", m.group(1))
    term = "CFR" if term in ("C&F", "CNF") else term
    return Reading(m.group(0), term, 0.95 if term in INCOTERMS_2020 else 0.8)


def read_country(text: str) -> Reading | None:
    t = clean_text(text).upper().replace("MADE IN", "").strip(" .:")
    for candidate in (t, t.split(",")[-1].strip(), t.split()[-1] if t.split() else ""):
        try:
            return Reading(clean_text(text), verify_country(candidate), 0.95)
        except InvalidCode:
            continue
    return None


def read_port(text: str) -> Reading | None:
    port = find_port(text)
    return Reading(clean_text(text), port.locode, 0.95) if port else None


def _letters_word(word: str) -> str:
    """A word of letters with a digit misread in it ("0OCL" -> "OOCL"); words of digits stay."""
    letters = sum(ch.isalpha() for ch in word)
    return word.translate(TO_LETTER) if letters >= 2 and letters >= len(word) - 1 else word


def read_vessel(text: str) -> Reading | None:
    name = " ".join(_letters_word(w) for w in clean_text(text).upper().split("/")[0].split())
    if len(norm_vessel(name)) < 3 or not re.search(r"[A-Za-z\u4e00-\u9fff]", name):
        return None
    return Reading(name, norm_vessel(name), 0.9)


_VOYAGE = re.compile(r"(?<![A-Z0-9])([0-9A-Z]{0,3}\d{2,4}[A-Z]{0,2})(?![A-Z0-9])")


def read_voyage(text: str) -> Reading | None:
    t = clean_text(text).upper()
    part = t.split("/")[-1] if "/" in t else t
    m = _VOYAGE.search(part.strip())
    return Reading(m.group(1), norm_reference(m.group(1)), 0.9) if m else None


_HS = re.compile(r"(?<![\d.])(\d{4}\.?\d{2}(?:\.?\d{2}){0,2})(?![\d.])")


def read_hs_codes(text: str) -> list[Reading]:
    out = []
    for m in _HS.finditer(clean_text(text)):
        code = m.group(1).replace(".", "")
        if len(code) in (6, 8, 10):
            try:
                out.append(Reading(m.group(1), verify_hs_code(code), 0.95))
            except InvalidCode:
                out.append(Reading(m.group(1), code, 0.6))
    return out


def read_hs_code(text: str) -> Reading | None:
    found = read_hs_codes(text)
    return found[0] if found else None


_CARRIER_PREFIX = re.compile(r"^([A-Z0-9]{4})(\d{6,})$")


def read_bl_no(text: str) -> Reading | None:
    """A B/L number; its 4-character carrier prefix is letters (SCAC), so digits read there become letters."""
    reading = read_reference(text, min_digits=5)
    if reading is None:
        return None
    m = _CARRIER_PREFIX.match(str(reading.normalised))
    if m and not m.group(1).isalpha() and m.group(1).translate(TO_LETTER).isalpha():
        return Reading(reading.value, m.group(1).translate(TO_LETTER) + m.group(2), 0.9)
    return reading


READERS: dict[str, Reader] = {
    "declaration_no": read_declaration_no, "invoice_no": lambda t: read_reference(t, min_digits=2),
    "bl_no": read_bl_no, "invoice_date": read_date, "total_value": read_amount,
    "currency": read_currency, "incoterm": read_incoterm, "origin_country": read_country,
    "port_of_loading": read_port, "port_of_discharge": read_port, "vessel": read_vessel, "voyage": read_voyage,
    "gross_weight": read_weight, "net_weight": read_weight, "packages": read_packages, "uscc": read_uscc,
}
