"""Candidates and their features for the learned key elements of receipts and general invoices.

Two kinds of candidate, each a row of numbers for the key-element model (``keyelements.py``) and its training
(``documents/train/``):

- **seller spans**: one to three consecutive lines near the top of the first page (the issuer's name, often
  wrapped: "POPULAR BOOK" / "CO. (M) SDN BHD"), with text, layout and neighbour features;
- **total amounts**: every money amount on the page, with the words of its row (total, subtotal, rounding, cash,
  change, GST...), its rank among the page's amounts, its place on the page and arithmetic hints (cash - change).

The same functions build the features at serving and at training, so the two cannot drift apart.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from smartinspect.documents.geometry import Line, typical_height
from smartinspect.documents.normalise import clean_text, parse_date_any

# ---------------------------------------------------------------- seller spans

_LEGAL_END = re.compile(r"(SDN\.?\s*BHD|BHD|BERHAD|S/B|ENTERPRISES?|TRADING|RESTAURANT|RESTORAN|PLT|LTD|LIMITED|"
                        r"INC|LLC|CORP(ORATION)?|COMPANY|CO|GMBH|MART|MARKET|STORES?|HARDWARE|SUPERMARKET|BAKERY|"
                        r"CAFE|KEDAI|TRADERS?|SERVICES?|STATIONERY|PHARMACY|FARMASI|公司|商店|商行|超市|酒店|餐厅)"
                        r"\W*$", re.IGNORECASE)
_LEGAL_ANY = re.compile(r"\b(SDN|BHD|BERHAD|ENTERPRISE|TRADING|RESTAURANT|RESTORAN|PLT|LTD|LIMITED|INC|CORP|"
                        r"COMPANY|GMBH|MART|STORE|HARDWARE|BAKER|CAFE|KEDAI|TRADER|PHARMACY)", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(JALAN|JLN|LOT|NO\.?\s*\d|TAMAN|TMN|LORONG|PERSIARAN|BANDAR|KAMPUNG|KG|SELANGOR|JOHOR|"
                      r"KUALA|LUMPUR|PETALING|JAYA|PUCHONG|KLANG|SHAH\s*ALAM|MALAYSIA|STREET|ROAD|AVENUE|FLOOR|"
                      r"BLOCK|BLK|SEKSYEN|SECTION|INDUSTRIAL|PERINDUSTRIAN|SUITE|UNIT|WISMA|PLAZA|MALL)\b|"
                      r"(?<!\d)\d{5}(?!\d)|\d+\s*,", re.IGNORECASE)
_CONTACT = re.compile(r"(TEL|FAX|PHONE|H/P|MOBILE|E-?MAIL|WWW|HTTP|@|GST|SST|REG|CO\.?\s*NO|COMPANY\s*NO|ROC|"
                      r"TAX\s*ID|\d{2,3}-\d{6,8})", re.IGNORECASE)
_TITLE = re.compile(r"^\W*((SIMPLIFIED\s*)?(TAX\s*)?(INVOICE|RECEIPT|CASH\s*(BILL|SALES?|RECEIPT)|BILL|OFFICIAL\s*RECEIPT|"
                    r"QUOTATION|ORDER|CHECK|TABLE|发票|收据)|THANK\s*YOU|PLEASE|WELCOME|YOUR\s*ORDER)\b", re.IGNORECASE)
_REG_NO = re.compile(r"^\W*\(?\s*(CO\.?\s*(REG\.?)?\s*NO\.?|COMPANY\s*NO\.?|ROC\s*NO\.?)?\s*[:.]?\s*\d{3,}[-\s]?[A-Z]\)?",
                     re.IGNORECASE)
_WORDS = re.compile(r"[A-Za-z]+")

SELLER_FEATURES = (
    "n_lines", "first_index", "rank_in_top", "y_top", "height_ratio", "max_height_ratio", "centre_offset", "width",
    "chars", "alpha", "digit_ratio", "upper_ratio", "words", "legal_end", "legal_any", "address_hits",
    "contact", "title", "starts_paren", "date", "next_reg_no", "next_address", "next_contact", "prev_name_like",
    "prev_legal_end", "first_legal_rank", "lines_above_with_legal", "ocr_conf", "same_row", "cut", "cut_share",
    "next_starts_legal", "first_starts_legal", "second_starts_legal", "legal_lines_below",
)
# A line that continues a wrapped name: it starts with the legal form ("CO. (M) SDN BHD", "SDN. BHD").
_STARTS_LEGAL = re.compile(r"^\W*(CO\b|COMPANY|SDN|BHD|BERHAD|S/B|\(M\)|PLT|LTD|LIMITED|ENTERPRISES?|TRADING|"
                           r"RESTAURANTS?|HARDWARE|STATIONERY)", re.IGNORECASE)


# A name that goes on after its legal form on the same line ("99 SPEED MART S/B (519537-X)"): the cut after it.
_LEGAL_CUT = re.compile(r"^(.*\b(SDN\.?\s*BHD|BHD|BERHAD|S/B|PLT|LTD|LIMITED|ENTERPRISES?|TRADING|RESTAURANT|"
                        r"RESTORAN|TRADERS?|HARDWARE|STATIONERY|MART)\b\.?)(?=\W*\S)", re.IGNORECASE)
# OCR slips in the legal form, repaired before a name is read: SON/SIN/S0N BHD, 3HD/8HD, S/8, "(KL)SDN".
_LEGAL_SLIPS = ((re.compile(r"\bS[O0I1L]N(?=\.?\s*[B38]HD\b)"), "SDN"), (re.compile(r"(?<=SDN)(\.?\s*)[38]HD\b"), r"\1BHD"),
                (re.compile(r"\b[S5]\s*/\s*[B8]\b"), "S/B"), (re.compile(r"\)(?=(SDN|BHD|S/B)\b)"), ") "))


_DIGIT_AS_LETTER = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "2": "Z"})
_ORDINAL = re.compile(r"^\d+(ST|ND|RD|TH)$", re.IGNORECASE)


def _letters_word(word: str) -> str:
    """One digit misread inside a word of letters ("GARDEN1A", "D.1.Y.", "5PEED") becomes the letter."""
    alnum = [ch for ch in word if ch.isalnum()]
    digits = sum(ch.isdigit() for ch in alnum)
    if digits != 1 or len(alnum) - digits < 2 or _ORDINAL.match(word.strip("().,")):
        return word
    return word.translate(_DIGIT_AS_LETTER)


def repair_legal_form(text: str) -> str:
    """A printed company name with the OCR's usual slips repaired: the legal form (SON BHD, 3HD, S/8, 5/B,
    "(KL)SDN") and single digits read inside words of letters."""
    for pattern, repl in _LEGAL_SLIPS:
        text = pattern.sub(repl, text)
    return " ".join(_letters_word(w) for w in text.split(" "))


@dataclass(frozen=True)
class SellerSpan:
    lines: tuple[Line, ...]
    cut: int | None = None  # keep only this many characters of the joined text (the name before a reg. number)

    @property
    def text(self) -> str:
        joined = repair_legal_form(" ".join(ln.text for ln in self.lines))
        return joined[: self.cut].rstrip(" ,") if self.cut else joined


def _with_cut(span: SellerSpan) -> list[SellerSpan]:
    m = _LEGAL_CUT.match(span.text)
    return [span, SellerSpan(span.lines, m.end(1))] if m and m.end(1) < len(span.text.rstrip(" ,.")) else [span]


def _name_like(line: Line) -> bool:
    t = line.text
    letters = sum(ch.isalpha() for ch in t)
    return letters >= 3 and not _CONTACT.search(t) and not _TITLE.match(t) and parse_date_any(t) is None \
        and sum(ch.isdigit() for ch in t) <= 2


def top_lines(lines: list[Line], page_height: float, *, max_lines: int = 14) -> list[Line]:
    """The first lines of the first page (the issuer's block), in reading order."""
    first = [ln for ln in lines if ln.page == lines[0].page] if lines else []
    return [ln for ln in first if ln.y1 < 0.5 * page_height][:max_lines]


def seller_spans(lines: list[Line], page_height: float) -> list[SellerSpan]:
    """Spans of 1-3 consecutive top lines that could be the issuer's name: each next line on the same row or
    directly under the previous one."""
    top = top_lines(lines, page_height)
    spans = []
    for i, first in enumerate(top):
        if sum(ch.isalpha() for ch in first.text) < 2 or _TITLE.match(first.text):
            continue
        span = [first]
        spans += _with_cut(SellerSpan(tuple(span)))
        for nxt in top[i + 1 : i + 3]:
            last = span[-1]
            same_row = nxt.v_overlap(last) > 0.5
            under = 0 <= nxt.y1 - last.y1 <= 1.8 * max(last.height, nxt.height)
            if not (same_row or under) or sum(ch.isalpha() for ch in nxt.text) < 2 or _TITLE.match(nxt.text) \
                    or _CONTACT.search(nxt.text):
                break
            span.append(nxt)
            spans += _with_cut(SellerSpan(tuple(span)))
    return spans


def seller_features(spans: list[SellerSpan], lines: list[Line], page_width: float, page_height: float) -> np.ndarray:
    h_med = typical_height(lines)
    top = top_lines(lines, page_height)
    legal_idx = [ln.index for ln in top if _LEGAL_END.search(ln.text)]
    by_index = {ln.index: ln for ln in lines}
    rows = []
    for span in spans:
        text = clean_text(span.text)
        first, last = span.lines[0], span.lines[-1]
        letters = [ch for ch in text if ch.isalpha()]
        nxt = by_index.get(last.index + 1)
        prev = by_index.get(first.index - 1)
        x1, x2 = min(ln.x1 for ln in span.lines), max(ln.x2 for ln in span.lines)
        rank_in_top = next((k for k, ln in enumerate(top) if ln is first), len(top))
        rows.append([
            len(span.lines), first.index, rank_in_top, first.y1 / max(page_height, 1.0),
            float(np.mean([ln.height for ln in span.lines])) / h_med, max(ln.height for ln in span.lines) / h_med,
            abs((x1 + x2) / 2 - page_width / 2) / max(page_width, 1.0), (x2 - x1) / max(page_width, 1.0),
            len(text), len(letters), sum(ch.isdigit() for ch in text) / max(1, len(text)),
            sum(ch.isupper() for ch in letters) / max(1, len(letters)), len(_WORDS.findall(text)),
            float(bool(_LEGAL_END.search(text))), len(_LEGAL_ANY.findall(text)), len(_ADDRESS.findall(text)),
            float(bool(_CONTACT.search(text))), float(bool(_TITLE.match(text))), float(text.startswith("(")),
            float(parse_date_any(text) is not None),
            float(bool(nxt is not None and _REG_NO.match(nxt.text))),
            float(bool(nxt is not None and _ADDRESS.search(nxt.text))),
            float(bool(nxt is not None and _CONTACT.search(nxt.text))),
            float(bool(prev is not None and _name_like(prev) and prev.y1 < 0.5 * page_height)),
            float(bool(prev is not None and _LEGAL_END.search(prev.text))),
            float(next((k for k, i in enumerate(legal_idx) if first.index <= i <= last.index), -1)),
            float(sum(1 for i in legal_idx if i < first.index)),
            min(ln.confidence for ln in span.lines),
            float(len(span.lines) > 1 and span.lines[1].v_overlap(first) > 0.5),
            float(span.cut is not None), len(text) / max(1, len(" ".join(ln.text for ln in span.lines))),
            float(bool(nxt is not None and _STARTS_LEGAL.match(nxt.text))), float(bool(_STARTS_LEGAL.match(text))),
            float(len(span.lines) > 1 and bool(_STARTS_LEGAL.match(span.lines[1].text))),
            float(sum(1 for i in legal_idx if i > last.index)),
        ])
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(SELLER_FEATURES))


# ---------------------------------------------------------------- total amounts

# A money amount: two decimals after "." or "," (or "-", an OCR slip for the point: "78-10"), not part of a
# date, a phone number or a percentage.
_AMOUNT = re.compile(r"(?<![\d.,/-])(?P<sign>-)?\s?(?P<cur>RM|MYR|S\$|\$|USD|SGD|¥|￥)?\s?"
                     r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)[.,-](?P<dec>\d{2})(?![\d%/-])", re.IGNORECASE)
KEYWORDS: dict[str, re.Pattern] = {
    "total": re.compile(r"\bTOTAL\b|\bTOTAL\w*|\bJUMLAH\b|合计|总计", re.IGNORECASE),
    "grand": re.compile(r"GRAND|NETT|NET\s*(TOTAL|AMOUNT)|PAYABLE|AMOUNT\s*DUE|TOTAL\s*DUE|BALANCE\s*DUE|TO\s*PAY|"
                        r"应付|实收|价税合计", re.IGNORECASE),
    "incl": re.compile(r"INCL|INCLUSIVE|INCLUDING|INC\.", re.IGNORECASE),
    "excl": re.compile(r"EXCL|EXCLUSIVE|BEFORE|W/O|WITHOUT", re.IGNORECASE),
    "sub": re.compile(r"SUB\s*-?\s*TOTAL|SUBTTL|S/TOTAL|小计", re.IGNORECASE),
    "round": re.compile(r"ROUND|ADJ", re.IGNORECASE),
    "cash": re.compile(r"CASH|TENDER|PAID|PAYMENT|VISA|MASTER|CARD|CREDIT|DEBIT|RECEIVED|CUSTOMER\s*PAY", re.IGNORECASE),
    "change": re.compile(r"CHANGE|BALANCE|BAKI|KEMBALI|找零", re.IGNORECASE),
    "tax": re.compile(r"GST|\bTAX\b|VAT|SST|SERVICE\s*(CHARGE|CHG|TAX)|S\.?C\.?\b|税", re.IGNORECASE),
    "disc": re.compile(r"DISC|SAVING|LESS|VOUCHER|PROMO|MEMBER", re.IGNORECASE),
    "qty": re.compile(r"QTY|QUANTITY|ITEM|COUNT|PCS|UNIT|NO\.\s*OF|数量", re.IGNORECASE),
    "amount": re.compile(r"AMOUNT|AMT|\bRM\b|PRICE|VALUE|金额", re.IGNORECASE),
    "pct": re.compile(r"%"),
}
TOTAL_FEATURES = (
    *(f"row_{k}" for k in KEYWORDS), *(f"line_{k}" for k in ("total", "grand", "sub", "round", "cash", "change", "tax")),
    "value_log", "is_max", "rank_desc", "n_distinct", "count_same", "count_same_total_rows", "cash_minus_change",
    "y_centre", "index_rel", "x_right", "amount_rows_below", "total_rows_below", "cash_rows_below",
    "alone", "negative", "currency", "n_amounts_line", "label_chars", "ocr_conf", "max_total_row_value",
    "above_total_row", "qty_times", "fuzzy_total", "fuzzy_payable", "fuzzy_paid", "fuzzy_incl",
)
_FUZZY = {"total": ("total",), "payable": ("payable", "payabie"), "paid": ("paid", "payment", "tendered"),
          "incl": ("inclusive", "included", "incl")}


def _fuzzy(label: str) -> list[float]:
    """Keyword hits that survive an OCR slip ("Totel Amt Peyable", "lotal", "Payat Le"): a word, or two
    joined, within 80 % similarity of the keyword."""
    words = re.findall(r"[a-z]+", label.lower())
    words += [a + b for a, b in zip(words, words[1:], strict=False)]
    return [float(any(difflib.SequenceMatcher(None, w, k).ratio() >= 0.8 for w in words for k in keys))
            for keys in _FUZZY.values()]


@dataclass(frozen=True)
class AmountCandidate:
    line: Line
    value: float
    text: str  # the amount as printed
    row_label: str  # the words of its row before it (its own line's text before the amount, cells to the left)
    negative: bool = False  # printed with a minus (a discount, or a total some tills print negative)


def amount_candidates(lines: list[Line]) -> list[AmountCandidate]:
    out = []
    for line in lines:
        left = [ln for ln in lines if ln.page == line.page and ln is not line and ln.v_overlap(line) > 0.5
                and ln.x2 <= line.x1 + 0.5 * line.height]
        left_text = " ".join(ln.text for ln in sorted(left, key=lambda ln: ln.x1))
        for m in _AMOUNT.finditer(line.text):
            value = float(m.group("num").replace(",", "") + "." + m.group("dec"))
            label = f"{left_text} {line.text[:m.start()]}".strip()
            out.append(AmountCandidate(line, value, m.group(0).strip(), label, bool(m.group("sign"))))
    return out


def total_features(cands: list[AmountCandidate], lines: list[Line], page_width: float, page_height: float
                   ) -> np.ndarray:
    values = [c.value for c in cands]
    distinct = sorted({v for v in values if v > 0}, reverse=True)
    total_rows = [c for c in cands if KEYWORDS["total"].search(c.row_label) and not KEYWORDS["sub"].search(c.row_label)]
    cash = [c.value for c in cands if KEYWORDS["cash"].search(c.row_label)]
    change = [c.value for c in cands if KEYWORDS["change"].search(c.row_label)]
    max_total = max((c.value for c in total_rows), default=0.0)
    n_lines = max(1, len(lines))
    rows = []
    for c in cands:
        row_flags = [float(bool(p.search(c.row_label))) for p in KEYWORDS.values()]
        own = c.line.text
        line_flags = [float(bool(KEYWORDS[k].search(own))) for k in ("total", "grand", "sub", "round", "cash",
                                                                     "change", "tax")]
        below = [o for o in cands if o.line.cy > c.line.cy + 0.5 * c.line.height and o.line.page == c.line.page]
        same = [o for o in cands if abs(o.value - c.value) < 0.005]
        cash_minus_change = any(abs(a - b - c.value) < 0.005 for a in cash for b in change) if c.value > 0 else False
        count_in_line = len(_AMOUNT.findall(own))
        rows.append([
            *row_flags, *line_flags,
            float(np.log1p(abs(c.value))), float(distinct != [] and abs(c.value - distinct[0]) < 0.005),
            float(distinct.index(c.value) if c.value in distinct else len(distinct)), float(len(distinct)),
            float(len(same)), float(sum(1 for o in same if o in total_rows)), float(cash_minus_change),
            c.line.cy / max(page_height, 1.0), c.line.index / n_lines, c.line.x2 / max(page_width, 1.0),
            float(len({o.line.index for o in below})), float(sum(1 for o in below if o in total_rows)),
            float(sum(1 for o in below if KEYWORDS["cash"].search(o.row_label))),
            float(own.strip() == c.text), float(c.negative), float(bool(re.search(r"RM|\$|MYR", own, re.I))),
            float(count_in_line), float(len(re.sub(r"[^A-Za-z]", "", c.row_label))), c.line.confidence,
            float(abs(c.value - max_total) < 0.005 and max_total > 0),
            float(any(o.line.cy < c.line.cy - 0.5 * c.line.height for o in total_rows)),
            float(bool(re.search(r"\d\s*[xX@]\s*\d", own))), *_fuzzy(c.row_label),
        ])
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(TOTAL_FEATURES))
