"""The general invoice profile: seller (company), date and total amount of any invoice or receipt.

Customs paperwork is only one kind of invoice; this profile is meant for all of them (shop receipts, service
invoices, Chinese VAT fapiao), so it relies on little: a seller label or, failing one, the name printed at the
top; a date (labelled or the first one); the amount on the strongest "total" line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from smartinspect.documents.extract import join_wrapped_name
from smartinspect.documents.fields import Reading, read_name
from smartinspect.documents.geometry import Line, below, flatten, right_of
from smartinspect.documents.labels import match_label
from smartinspect.documents.normalise import norm_amount, norm_name, parse_currency, parse_date, parse_number
from smartinspect.documents.types import ExtractedField
from smartinspect.ocr.types import DocumentText

_SELLER_LABEL = re.compile(r"^\s*(seller|sold\s*by|vendor|supplier|merchant(\s*name)?|company(\s*name)?|bill\s*from|"
                           r"shipper\s*/\s*exporter|exporter|shipper|consignor|卖方(\s*/\s*出口商)?|出口商|托运人|发货人|"
                           r"销售方(名称)?|销货单位|收款单位|开票单位|商户(名称)?)\s*[:：]?\s*", re.IGNORECASE)
_NAME_LABEL = re.compile(r"^\s*名\s*称\s*[:：]?\s*")
_DATE_LABEL = re.compile(r"(date|日期|时间)", re.IGNORECASE)
# Total labels by strength: the final amount due beats a plain "total"; subtotals, tax and counts are not totals.
_TOTALS = (
    re.compile(r"(grand\s*total|amount\s*due|balance\s*due|total\s*payable|total\s*due|价税合计|应付金额|实收金额|"
               r"实付|合计金额|total\s*amount\s*payable)", re.IGNORECASE),
    re.compile(r"(^|\s)(total|net\s*total|total\s*amount|invoice\s*total|合计|总计|总金额|应收|实收)(\W|$)", re.IGNORECASE),
)
_NOT_TOTAL = re.compile(r"(^\s*say\b|\bonly\s*$|sub\s*-?\s*total|total\s*(qty|quantity|items?|tax|gst|vat|discount|saving)|小计|税额|数量)",
                        re.IGNORECASE)
_TITLE = re.compile(r"^(tax\s*)?(invoice|receipt|bill|cash\s*sale|商业发票|发票|收据|增值税.*发票|普通发票)\W*$", re.IGNORECASE)
_WHOLE_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d.,])")
_AMOUNT = re.compile(r"\d{1,3}(?:[,. ]\d{3})*[.,]\d{2}(?!\d)|\d+[.,]\d{2}(?!\d)")
_LEGAL = re.compile(r"(ltd|limited|inc|llc|plc|gmbh|corp|company|co\b|sdn\.?\s*bhd|bhd|enterprise|trading|store|"
                    r"restaurant|mart|公司|商店|商行|超市|酒店|餐厅|药房|店)\W*$", re.IGNORECASE)
_NOT_NAME = re.compile(r"(\d{3,}.*\d{3,}|tel|fax|phone|www\.|@|gst\s*(reg|id)|address|invoice\s*no|receipt\s*no|"
                       r"电话|地址|税号|No\.)", re.IGNORECASE)


@dataclass
class InvoiceProfile:
    seller: ExtractedField | None
    date: ExtractedField | None
    total: ExtractedField | None
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return {"seller": self.seller.to_json() if self.seller else None,
                "date": self.date.to_json() if self.date else None,
                "total": self.total.to_json() if self.total else None, "currency": self.currency}


def _field(name: str, reading: Reading, used: list[Line]) -> ExtractedField:
    conf = min(ln.confidence for ln in used) * reading.certainty
    return ExtractedField(name, reading.value, reading.normalised, round(conf, 4), used[0].page,
                          tuple(ln.polygon for ln in used))


def _after_label(line: Line, match: re.Match, lines: list[Line]) -> list[Line]:
    rest = line.text[match.end():].strip()
    if rest:
        return [line]
    return right_of(line, lines, max_gap=20 * line.height)[:1] + below(line, lines, max_lines=2.0)[:1]


def find_seller(lines: list[Line], page_height: float) -> ExtractedField | None:
    for line in lines:
        m = _SELLER_LABEL.match(line.text)
        if m:  # a labelled seller; a fapiao's 销售方 block names it on a "名称:" line beside or below
            beside = right_of(line, lines, max_gap=10 * line.height)[:1]
            for cand in [line, *beside, *below(line, lines, max_lines=4.0)]:
                nm = _NAME_LABEL.match(cand.text)
                text = cand.text[nm.end():] if nm else (line.text[m.end():] if cand is line else cand.text)
                reading = read_name(text) if not _NOT_NAME.search(text) else None
                if reading and not _SELLER_LABEL.match(text):
                    under = sorted((ln for ln in lines if ln.page == cand.page and ln.cy > cand.cy + 0.6 * cand.height
                                    and ln.y1 < cand.y2 + 4 * cand.height and ln.h_overlap(cand.x1, cand.x2) > 0),
                                   key=lambda ln: ln.y1)[:2]
                    text, used = join_wrapped_name(text, cand, [ln for ln in under if not match_label(ln.text)])
                    return _field("seller", read_name(text) or reading, used)
    top = [ln for ln in lines if ln.page == 0 and ln.y1 < 0.35 * page_height]
    names = [ln for ln in top if read_name(ln.text) and not _NOT_NAME.search(ln.text) and not _TITLE.match(ln.text)
             and not match_label(ln.text) and not _NAME_LABEL.match(ln.text)
             and not parse_date(ln.text) and sum(ch.isalpha() or "\u4e00" <= ch <= "\u9fff" for ch in ln.text) >= 3]
    legal = [ln for ln in names if _LEGAL.search(ln.text)]
    pick = legal[0] if legal else (max(names[:4], key=lambda ln: ln.height) if names else None)
    if pick is None:
        return None
    reading = read_name(pick.text)
    return _field("seller", Reading(reading.value, reading.normalised, 0.8 if legal else 0.6), [pick])


def find_date(lines: list[Line]) -> ExtractedField | None:
    labelled = [ln for ln in lines if _DATE_LABEL.search(ln.text)]
    for line in labelled + lines:
        for cand in [line, *right_of(line, lines, max_gap=15 * line.height)[:1]]:
            iso = parse_date(cand.text)
            if iso:
                return _field("date", Reading(cand.text, iso, 0.95 if line in labelled else 0.8), [cand])
    return None


def _amount_in(text: str) -> float | None:
    """The last amount in ``text`` (the figure after a label: "TOTAL RM 45.60", "（小写）¥1454.93")."""
    text = text.replace("￥", " ").replace("¥", " ")
    tokens = _AMOUNT.findall(text) or _WHOLE_AMOUNT.findall(text)  # yen and won have no decimals
    return parse_number(tokens[-1].replace(" ", "")) if tokens else None


def find_total(lines: list[Line]) -> tuple[ExtractedField | None, str | None]:
    for strength, pattern in enumerate(_TOTALS):
        best: tuple[float, Line, Line] | None = None
        for line in lines:
            m = pattern.search(line.text)
            if not m or _NOT_TOTAL.search(line.text):
                continue
            beside = right_of(line, lines, max_gap=60 * line.height)[:2]
            for cand in [line, *beside, *below(line, lines, max_lines=1.5)[:1]]:
                text = cand.text[m.end():] if cand is line else cand.text
                value = _amount_in(text)
                if value is not None and (best is None or value >= best[0]):
                    best = (value, line, cand)
                    break
        if best:
            value, line, cand = best
            used = [line] if cand is line else [line, cand]
            currency = parse_currency(" ".join(ln.text for ln in used))
            return _field("total", Reading(cand.text, norm_amount(value), 0.95 - 0.1 * strength), used), currency
    return None, None


def extract_invoice_profile(document: DocumentText) -> InvoiceProfile:
    """Seller, date and total of any invoice or receipt (see module docstring for the rules)."""
    lines = flatten(document)
    if not lines:
        return InvoiceProfile(None, None, None, None)
    total, currency = find_total(lines)
    height = document.pages[0].height or max(ln.y2 for ln in lines)
    return InvoiceProfile(find_seller(lines, height), find_date(lines), total, currency)


def score_profile(profile: InvoiceProfile, truth: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """(tp, fp, fn) per field against ``{"seller", "date", "total"}``; sellers match on letters and digits with
    90 % similarity (OCR may drop a character of a long name), dates exactly, totals to the cent."""
    from difflib import SequenceMatcher

    out = {}
    for name in ("seller", "date", "total"):
        pred = getattr(profile, name)
        want = truth.get(name)
        got = pred.normalised if pred else None
        if name == "seller" and got is not None and want is not None:
            ok = SequenceMatcher(None, str(got), norm_name(str(want))).ratio() >= 0.9
        elif name == "total" and got is not None and want is not None:
            ok = abs(float(got) - float(want)) < 0.005
        else:
            ok = got is not None and got == want
        out[name] = (int(ok), int(got is not None and not ok), int(want is not None and not ok))
    return out


def evaluate_profile(samples: list[tuple[DocumentText, dict[str, Any]]]) -> dict[str, Any]:
    """Precision/recall/F1 per field and overall (micro) of the profile on ``(document, truth)`` pairs."""
    counts = {name: [0, 0, 0] for name in ("seller", "date", "total")}
    for document, truth in samples:
        for name, (tp, fp, fn) in score_profile(extract_invoice_profile(document), truth).items():
            counts[name] = [counts[name][0] + tp, counts[name][1] + fp, counts[name][2] + fn]
    counts["overall"] = [sum(c[i] for c in counts.values()) for i in range(3)]

    def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4), "recall": round(r, 4),
                "f1": round(2 * p * r / max(p + r, 1e-9), 4)}

    return {"documents": len(samples), **{name: prf(*c) for name, c in counts.items()}}
