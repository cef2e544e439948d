"""Key elements of receipts and general invoices (no customs labels): seller, date, total, currency, receipt
number, buyer and the seller's address, each with a confidence; below its threshold a field is left out
(abstain) rather than guessed.

Seller spans and total amounts are ranked by the key-element model (``models/doc-keyelements``: gradient-boosted
trees trained by ``documents/train/``, exported to ONNX and run on the shared runtime); the date, the currency,
the numbers and the address come from rules, which also normalise every value. Without the model package the
same candidates are ranked by a fixed rule score (``rule_scores``) and confidences are capped at 0.6.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.documents.fields import read_name, read_reference
from smartinspect.documents.geometry import Line, right_of
from smartinspect.documents.keyfeatures import (
    _ADDRESS,
    _CONTACT,
    _REG_NO,
    _STARTS_LEGAL,
    _TITLE,
    KEYWORDS,
    SELLER_FEATURES,
    TOTAL_FEATURES,
    AmountCandidate,
    SellerSpan,
    _name_like,
    amount_candidates,
    seller_features,
    seller_spans,
    total_features,
)
from smartinspect.documents.normalise import norm_amount, parse_date_any
from smartinspect.documents.types import ExtractedField

log = logging.getLogger(__name__)
PACKAGE = "doc-keyelements"
TASK = "document-key-elements"
DEFAULT_THRESHOLDS = {"seller": 0.3, "total": 0.3, "date": 0.5}
RULE_CONFIDENCE_CAP = 0.6


class KeyElementModel:
    """The two rankers of the package's ONNX graph: ``seller`` and ``total`` inputs, a probability each."""

    def __init__(self, session: Any, version: str, thresholds: dict[str, float]) -> None:
        self.session = session
        self.version = version
        self.thresholds = {**DEFAULT_THRESHOLDS, **thresholds}

    @classmethod
    def from_package(cls, package: Path) -> KeyElementModel:
        from smartinspect.runtime.registry import ModelSpec, load_model

        spec = ModelSpec.from_manifest(package / "manifest.json")
        features = spec.params.get("features", {})
        if tuple(features.get("seller", ())) != SELLER_FEATURES or tuple(features.get("total", ())) != TOTAL_FEATURES:
            raise ValueError(f"{package}: the package's feature lists differ from this code's (retrain it)")
        loaded = load_model(spec, providers=["CPUExecutionProvider"], intra_op_threads=1, warm_up=False)
        return cls(loaded.model, spec.version, spec.params.get("thresholds", {}))

    def scores(self, seller: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = seller if len(seller) else np.zeros((1, len(SELLER_FEATURES)), np.float32)
        t = total if len(total) else np.zeros((1, len(TOTAL_FEATURES)), np.float32)
        ps, pt = self.session.run(s.astype(np.float32), t.astype(np.float32))
        return ps.reshape(-1)[: len(seller)], pt.reshape(-1)[: len(total)]


@functools.lru_cache(maxsize=4)
def _load(package: str) -> KeyElementModel | None:
    path = Path(package)
    if not (path / "manifest.json").exists():
        log.warning("no key-element model at %s: receipts are read with the rule scores", path)
        return None
    return KeyElementModel.from_package(path)


def default_model() -> KeyElementModel | None:
    """The package in the configured models directory (loaded once per path), or None when it is absent."""
    from smartinspect.config import get_settings

    return _load(str(get_settings().models_dir / PACKAGE))


def rule_scores(seller: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fixed score for when no model is packaged: the first company-like span; the last plain total."""
    f = {n: i for i, n in enumerate(SELLER_FEATURES)}
    s = (2.0 * seller[:, f["legal_end"]] - 0.3 * seller[:, f["rank_in_top"]] - 2.0 * seller[:, f["contact"]]
         - 2.0 * seller[:, f["title"]] - 1.5 * (seller[:, f["address_hits"]] > 0) + seller[:, f["next_reg_no"]]
         - 0.5 * (seller[:, f["n_lines"]] - 1) - 1.0) if len(seller) else np.zeros(0)
    t_ = {n: i for i, n in enumerate(TOTAL_FEATURES)}
    t = (2.0 * total[:, t_["row_total"]] + 1.5 * total[:, t_["row_grand"]] - 3.0 * total[:, t_["row_sub"]]
         - 3.0 * total[:, t_["row_cash"]] - 3.0 * total[:, t_["row_change"]] - 2.0 * total[:, t_["row_tax"]]
         - 2.0 * total[:, t_["row_round"]] - 2.0 * total[:, t_["row_qty"]] + total[:, t_["cash_minus_change"]]
         + 0.2 * total[:, t_["y_centre"]] - 2.0) if len(total) else np.zeros(0)
    return 1 / (1 + np.exp(-s)), 1 / (1 + np.exp(-t))


@dataclass
class KeyElements:
    fields: list[ExtractedField]
    model_version: str | None  # None: rule scores


def _field(name: str, value: str, normalised: Any, confidence: float, lines: list[Line]) -> ExtractedField:
    return ExtractedField(name, value, normalised, round(float(confidence), 4), lines[0].page,
                          tuple(ln.polygon for ln in lines))


def _best(probs: np.ndarray) -> int | None:
    return int(np.argmax(probs)) if len(probs) else None


_FORM_END = re.compile(r"\b(SDN\.?\s*BHD|BHD|BERHAD|S/B|PLT|LTD|LIMITED|INC|LLC|CORP|GMBH|CO)\W*$", re.IGNORECASE)


def complete_wrapped(span: SellerSpan, spans: list[SellerSpan]) -> SellerSpan:
    """A wrapped name read in half: a span that starts with the legal form ("CO. (M) SDN BHD") takes the name
    line above it; a name without its legal form takes the next line when that line starts with it ("SDN. BHD")."""
    if span.cut is None and _STARTS_LEGAL.match(span.lines[0].text):
        for other in spans:
            if other.cut is None and other.lines[1:] == span.lines and _name_like(other.lines[0]):
                return other
    if span.cut is None and not _FORM_END.search(span.text):
        for other in spans:
            if other.cut is None and other.lines[:-1] == span.lines and _STARTS_LEGAL.match(other.lines[-1].text):
                return other
    return span


# What some tills print before the issuer's name on its line: a running number ("#000002") or a label
# ("OWN BY:", "OPERATED BY:", "COMPANY NAME:"). Not part of the name.
_NAME_PREFIX = re.compile(r"^\W*(#\s*\d+\b|((OWN(ED)?|OPERATED|MANAGED)\s*BY|COMPANY(\s*NAME)?|NAME)\s*[:：])\W*",
                          re.IGNORECASE)


def strip_name_prefix(text: str) -> str:
    """The name without a leading running number or label; the text unchanged when nothing would remain."""
    rest = _NAME_PREFIX.sub("", text, count=1)
    return rest if sum(ch.isalpha() for ch in rest) >= 3 else text


def read_seller(spans: list[SellerSpan], probs: np.ndarray, threshold: float) -> ExtractedField | None:
    i = _best(probs)
    if i is None or probs[i] < threshold:
        return None
    span = complete_wrapped(spans[i], spans)
    reading = read_name(strip_name_prefix(span.text))
    if reading is None:
        return None
    return _field("consignor_name", reading.value, reading.normalised, probs[i], list(span.lines))


def read_total(cands: list[AmountCandidate], probs: np.ndarray, threshold: float) -> ExtractedField | None:
    i = _best(probs)
    if i is None or probs[i] < threshold or cands[i].value <= 0:
        return None
    c = cands[i]
    return _field("total_value", c.text, norm_amount(c.value), probs[i] * c.line.confidence, [c.line])


_DATE_LABEL = re.compile(r"\b(DATE|TARIKH|DATED|日期)\b", re.IGNORECASE)


def read_date(lines: list[Line]) -> ExtractedField | None:
    """A labelled date, else the first date printed; less sure when the page prints several different days."""
    found = [(ln, iso) for ln in lines if (iso := parse_date_any(ln.text))]
    if not found:
        return None
    labelled = [(ln, iso) for ln, iso in found if _DATE_LABEL.search(ln.text)
                or any(_DATE_LABEL.search(o.text) for o in lines if o.page == ln.page and o is not ln
                       and o.v_overlap(ln) > 0.5 and o.x2 <= ln.x1 + ln.height)]
    line, iso = (labelled or found)[0]
    days = {d for _, d in found}
    certainty = 0.95 if len(days) == 1 else (0.85 if labelled else 0.7)
    return _field("invoice_date", line.text, iso, certainty * line.confidence, [line])


_CURRENCY = re.compile(r"(?<![A-Z])(RM|MYR|USD|SGD|EUR|GBP|CNY|RMB|HKD|JPY|IDR|THB|AUD)(?![A-Z])|(US\$|S\$|HK\$|€|£|¥|￥|元)")
_SYMBOLS = {"RM": "MYR", "RMB": "CNY", "US$": "USD", "S$": "SGD", "HK$": "HKD", "€": "EUR", "£": "GBP", "¥": "CNY",
            "￥": "CNY", "元": "CNY"}


def _currency_in(text: str) -> str | None:
    """A currency code or symbol standing on its own (RM is the ringgit; words inside other words, such as
    "YEN" in "SEKSYEN", do not count; a bare "$" names no currency and is left out)."""
    m = _CURRENCY.search(text.upper())
    if not m:
        return None
    token = m.group(0)
    return _SYMBOLS.get(token, token)


def read_currency(total: ExtractedField | None, lines: list[Line]) -> ExtractedField | None:
    """The currency printed with the total, else the first one printed on the page."""
    near = [ln for ln in lines if total is not None and ln.polygon in total.polygons]
    for group, certainty in ((near, 0.95), (lines, 0.8)):
        for ln in group:
            code = _currency_in(ln.text)
            if code:
                return _field("currency", ln.text, code, certainty * ln.confidence, [ln])
    return None


_NUMBER_LABEL = re.compile(r"\b(RECEIPT|INVOICE|INV|BILL|DOC(UMENT)?|SLIP|TRANS(ACTION)?|ORDER|CHECK|CHK|REF|"
                           r"RCPT|TAX\s*INVOICE|CASH\s*BILL)\s*(NO|NUMBER|NUM|#)\b\.?\s*[:：]?\s*", re.IGNORECASE)
_BUYER_LABEL = re.compile(r"\b(CUSTOMER(\s*NAME)?|CUST\.?\s*NAME|BILL\s*TO|SOLD\s*TO|BUYER|MEMBER\s*NAME|"
                          r"购买方(名称)?|买方)\s*[:：]\s*", re.IGNORECASE)


_NOT_DOCUMENT_NO = re.compile(r"(GST|SST|TAX\s*ID|REG|COMPANY|CO\.)\W*$", re.IGNORECASE)
_NO_BUYER = re.compile(r"^\W*(CASH|WALK[\s-]*IN|N/?A|NONE|-+)\W*$|:|\bNO\b\.?", re.IGNORECASE)


def _labelled(pattern: re.Pattern, lines: list[Line], reader) -> tuple[Any, Line] | None:
    for ln in lines:
        m = pattern.search(ln.text)
        if not m or _NOT_DOCUMENT_NO.search(ln.text[:m.start()]):  # "GST REF NO": a tax number, not this one
            continue
        for text, src in ((ln.text[m.end():], ln), *((o.text, o) for o in right_of(ln, lines, max_gap=8 * ln.height)[:1])):
            reading = reader(text)
            if reading is not None:
                return reading, src
    return None


def read_number(lines: list[Line]) -> ExtractedField | None:
    found = _labelled(_NUMBER_LABEL, lines, lambda t: read_reference(t, min_digits=2))
    if found is None:
        return None
    reading, line = found
    return _field("invoice_no", reading.value, reading.normalised, 0.9 * line.confidence, [line])


def plausible_buyer(text: str) -> bool:
    """A buyer's name, not a walk-in placeholder ("CASH") or labels the OCR ran together ("Doc No. :")."""
    return sum(c.isalpha() for c in text) >= 3 and not _NO_BUYER.search(text)


def read_buyer(lines: list[Line]) -> ExtractedField | None:
    found = _labelled(_BUYER_LABEL, lines, lambda t: read_name(t) if plausible_buyer(t) else None)
    if found is None:
        return None
    reading, line = found
    return _field("consignee_name", reading.value, reading.normalised, 0.8 * line.confidence, [line])


def read_address(seller: ExtractedField | None, lines: list[Line]) -> ExtractedField | None:
    """The lines under the seller's name up to its phone, tax number or the document title (reg. numbers
    skipped): the issuer's address block."""
    if seller is None:
        return None
    last = max(i for i, ln in enumerate(lines) if ln.polygon in seller.polygons)
    block: list[Line] = []
    for ln in lines[last + 1 : last + 8]:
        if _REG_NO.match(ln.text) and not block:
            continue
        if _CONTACT.search(ln.text) or _TITLE.match(ln.text) or parse_date_any(ln.text):
            break
        block.append(ln)
    if not block or not any(_ADDRESS.search(ln.text) for ln in block):
        return None
    text = " ".join(ln.text for ln in block)
    return _field("consignor_address", text, text.upper(), 0.6 * min(ln.confidence for ln in block), block)


def receipt_key_elements(lines: list[Line], page_width: float, page_height: float,
                         model: KeyElementModel | None = None) -> KeyElements:
    """Every key element this layer can read on a receipt or general invoice (abstentions left out)."""
    spans = seller_spans(lines, page_height)
    cands = [c for c in amount_candidates(lines) if not KEYWORDS["pct"].search(c.text)]
    xs, xt = seller_features(spans, lines, page_width, page_height), total_features(cands, lines, page_width,
                                                                                    page_height)
    if model is not None:
        ps, pt = model.scores(xs, xt)
        thresholds = model.thresholds
    else:
        ps, pt = rule_scores(xs, xt)
        ps, pt = np.minimum(ps, RULE_CONFIDENCE_CAP), np.minimum(pt, RULE_CONFIDENCE_CAP)
        thresholds = DEFAULT_THRESHOLDS
    seller = read_seller(spans, ps, thresholds["seller"])
    total = read_total(cands, pt, thresholds["total"])
    date = read_date(lines)
    if date is not None and date.confidence < thresholds["date"]:
        date = None
    found = [seller, total, date, read_currency(total, lines), read_number(lines), read_buyer(lines),
             read_address(seller, lines)]
    return KeyElements([f for f in found if f is not None], model.version if model else None)


def looks_like_receipt(fields: list[ExtractedField]) -> bool:
    """No seller-side party (seller, shipper, exporter...) and no customs number was read by the customs labels:
    the general layer may speak for seller, date and total. A buyer label alone ("Bill To: CASH" on a shop
    receipt) does not make a customs document: every customs document names its consignor."""
    return not any(f.name in ("consignor_name", "declaration_no", "bl_no") for f in fields)


