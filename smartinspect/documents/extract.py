"""Key-element extraction from OCR lines: classify the document, read the item table, then resolve each label
to the value printed after it, to its right or under it; containers, credit codes and HS codes are also found
by their own patterns wherever they stand.
"""

from __future__ import annotations

import re

from smartinspect.documents.fields import (
    DOC_KEYWORDS,
    READERS,
    Reading,
    find_containers,
    read_hs_codes,
    read_name,
    read_uscc,
    read_vessel,
    read_voyage,
)
from smartinspect.documents.geometry import Line, below, flatten, right_of, typical_height
from smartinspect.documents.keyelements import default_model, looks_like_receipt, plausible_buyer, receipt_key_elements
from smartinspect.documents.labels import LabelHit, find_labels, match_label, split_merged_labels
from smartinspect.documents.normalise import norm_amount
from smartinspect.documents.tables import ItemTable, parse_item_table
from smartinspect.documents.types import DocType, DocumentExtraction, ExtractedField
from smartinspect.ocr.types import DocumentText

_PARTY_ROLES = {"consignor": "consignor", "consignee": "consignee"}
_HS_VALUE = re.compile(r"(HS\s*CODE|H\.\s*S\.\s*(CODE)?|HS\s*NO\.?|商品编号|海关编码)\s*[:：]?\s*(?P<code>\d[\d.]{5,12})", re.IGNORECASE)
_HS_AT_END = re.compile(r"(\bHS|\bHS\s*CODE|H\.S\.(\s*CODE)?|商品编号|海关编码)\s*[:：]?\s*$", re.IGNORECASE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TITLE_START = re.compile(r"^[\W\d_]*(中华人民共和国海关|ocean|combined\s*transport|original|copy)?\s*(进口|出口)?(货物)?", re.IGNORECASE)
_LEGAL_END = re.compile(r"(LTD|LIMITED|INC|LLC|PLC|GMBH|AG|CORP|CORPORATION|COMPANY|CO|S\.?A|S\.?A\.?S|S\.?L|B\.?V|"
                        r"S\.?P\.?A|S\.?R\.?L|JSC|BHD|LTDA|N\.?V|KG|公司|集团|厂|商行)\.?\s*$", re.IGNORECASE)


def classify(lines: list[Line], type_hint: str | None = None) -> tuple[DocType, float]:
    """Document type from title and body keywords; the officer's hint counts as a strong prior."""
    h = typical_height(lines)
    scores = {t: 0.0 for t in DOC_KEYWORDS}
    for line in lines:
        text = line.text.lower()
        # A title is a short line, large or near the top, that starts with the title words ("Invoice No." in
        # a packing list's header does not make it an invoice).
        title = (line.height > 1.25 * h or line.index < 4) and len(text.split()) <= 6 and not match_label(line.text)
        for doc_type, (titles, words) in DOC_KEYWORDS.items():
            scores[doc_type] += sum(5.0 for w in titles if title and _TITLE_START.sub("", text).startswith(w))
            scores[doc_type] += sum(1.0 for w in words if w in text)
    if type_hint in scores:
        scores[type_hint] += 4.0
    best = max(scores, key=scores.get)
    total = sum(scores.values())
    if scores[best] <= 0:
        return DocType.unknown, 0.0
    return DocType(best), scores[best] / total


def _field(name: str, reading: Reading, used: list[Line], certainty: float = 1.0) -> ExtractedField:
    conf = min(ln.confidence for ln in used) * reading.certainty * certainty
    return ExtractedField(name, reading.value, reading.normalised, round(conf, 4), used[0].page,
                          tuple(ln.polygon for ln in used))


def _candidates(hit: LabelHit, lines: list[Line], labels: dict[int, LabelHit], *, tight: bool = False
                ) -> list[tuple[str, list[Line], float]]:
    """Texts that may hold the label's value: after it on its line, right of it, under it (with certainties)."""
    h = hit.line.height
    out = []
    if hit.remainder:
        out.append((hit.remainder, [hit.line], 1.0))
    for ln in right_of(hit.line, lines, max_gap=(3 if tight else 24) * h)[:1 if tight else 3]:
        if ln.index in labels:  # the next field's label: nothing more to the right belongs to this one
            break
        out.append((ln.text, [ln], 0.95))  # several: a seal or a stray mark may stand between label and value
    for ln in below(hit.line, lines, max_lines=2.2):
        if ln.index in labels:
            break
        if ln.v_overlap(hit.line) > 0.6 and ln.x1 > hit.line.x2:  # a same-row neighbour, not a line below
            continue
        out.append((ln.text, [ln], 0.9))
        break
    return out


def _continuation(line: Line, lines: list[Line], labels: dict[int, LabelHit]) -> Line | None:
    """The line that continues ``line`` (wrapped text): the next one under it, starting at or right of its left
    edge (tightly stacked OCR boxes may overlap a little)."""
    h = line.height
    under = [ln for ln in lines if ln.page == line.page and ln.cy - line.cy > 0.6 * h and ln.y1 < line.y2 + 1.2 * h
             and line.x1 - 0.5 * h <= ln.x1 <= line.x2 and ln.index not in labels]
    return min(under, key=lambda ln: ln.y1) if under else None


def _resolve_scalar(hit: LabelHit, lines: list[Line], labels: dict[int, LabelHit]) -> list[ExtractedField]:
    if hit.field == "vessel_voyage":
        for text, used, w in _candidates(hit, lines, labels):
            if "/" not in text:  # a long "VESSEL NAME/VOYAGE" wrapped onto the next line
                nxt = _continuation(used[-1], lines, labels)
                text, used = (f"{text} {nxt.text}", [*used, nxt]) if nxt and "/" in nxt.text else (text, used)
            vessel, voyage = read_vessel(text), read_voyage(text) if "/" in text else None
            if vessel:
                return [_field("vessel", vessel, used, w)] + ([_field("voyage", voyage, used, w)] if voyage else [])
        return []
    reader = READERS.get(hit.field)
    if reader is None:
        return []
    for text, used, w in _candidates(hit, lines, labels):
        reading = reader(text)
        if reading is not None:
            found = [_field(hit.field, reading, used, w)]
            currency = READERS["currency"](text) if hit.field == "total_value" else None
            if currency:  # "USD 12,345.00": the total names its currency
                found.append(_field("currency", currency, used, 0.9 * w))
            return found
    return []


def _party_block(hit: LabelHit, lines: list[Line], labels: dict[int, LabelHit]) -> list[Line]:
    """The party's lines: name first, then the address and code lines under it, up to a label or a gap."""
    first = None
    for text, used, _ in _candidates(hit, lines, labels, tight=True):
        if read_name(text) or read_uscc(text):
            first = used[0] if text != hit.remainder else hit.line
            break
    if first is None:
        return []
    block = [first]
    h = hit.line.height
    x0 = first.x1 if first is not hit.line else hit.line.x1
    for ln in sorted(lines, key=lambda ln: ln.y1):
        last = block[-1]
        if ln.page != first.page or ln.y1 <= last.y1 + 0.3 * h or ln.y1 > last.y2 + 1.2 * h:
            continue
        if abs(ln.x1 - x0) > 2.5 * h and ln.h_overlap(first.x1, first.x2) < 0.5 * (ln.x2 - ln.x1):
            continue
        if ln.index in labels and labels[ln.index].field != "uscc":
            break  # the next party (or field) begins
        block.append(ln)
        if len(block) >= 7:
            break
    return block


def join_wrapped_name(text: str, first: Line, following: list[Line]) -> tuple[str, list[Line]]:
    """A long company name wraps: join the lines under it until the name ends like a company name (LTD, GMBH,
    公司...), stopping at an address, a code or a long line that is not a name ending."""
    used = [first]
    for ln in following:
        if _LEGAL_END.search(text) or read_uscc(ln.text) or re.match(r"^\s*(NO\b|\d)", ln.text, re.IGNORECASE):
            break
        if not _LEGAL_END.search(ln.text) and len(ln.text.split()) > 3:
            break
        text, used = f"{text} {ln.text}", [*used, ln]
    return text, used


def _resolve_party(role: str, hit: LabelHit, lines: list[Line], labels: dict[int, LabelHit]
                   ) -> tuple[list[ExtractedField], set[int]]:
    block = _party_block(hit, lines, labels)
    if not block:
        return [], set()
    out = []
    first = block[0]
    name_text = hit.remainder if first is hit.line else first.text
    uscc_inline = read_uscc(name_text)
    if uscc_inline:
        name_text = name_text.replace(uscc_inline.value, "").strip(" ()（）:：")
    name_text, name_lines = join_wrapped_name(name_text, first, block[1:])
    name = read_name(name_text)
    if name:
        out.append(_field(f"{role}_name", name, name_lines, 0.95))
    for ln in block:
        text = hit.remainder if ln is hit.line else ln.text
        code = read_uscc(text)
        if code and code.certainty >= 0.9:
            out.append(_field(f"{role}_uscc", code, [ln]))
            break
    return out, {ln.index for ln in block}


def _from_table(table: ItemTable, fields: list[ExtractedField]) -> None:
    have = {f.name for f in fields}
    for item in table.items:
        if "hs_code" in item.fields:
            fields.append(ExtractedField("hs_codes", *_copy(item.fields["hs_code"])))
    totals = {"amount": "total_value", "packages": "packages", "net_kg": "net_weight", "gross_kg": "gross_weight"}
    for key, name in totals.items():
        if key in table.totals and name not in have:
            fields.append(ExtractedField(name, *_copy(table.totals[key])))
    code = READERS["currency"](table.total_text) if "amount" in table.totals else None
    if code and "currency" not in have:
        fields.append(ExtractedField("currency", code.value, code.normalised, table.totals["amount"].confidence,
                                     table.totals["amount"].page, table.totals["amount"].polygons))
    for key, name in (("currency", "currency"), ("origin", "origin_country")):
        values = {i.get(key) for i in table.items if i.get(key)}
        if len(values) == 1 and name not in have:
            src = next(i.fields[key] for i in table.items if key in i.fields)
            fields.append(ExtractedField(name, *_copy(src)))
    if "currency" not in {f.name for f in fields}:
        code = READERS["currency"](table.header_text)
        if code and table.items:
            any_cell = next(iter(table.items[0].fields.values()))
            fields.append(ExtractedField("currency", code.value, code.normalised, 0.8 * any_cell.confidence,
                                         any_cell.page, (), derived=False))
    if table.items and "total_value" not in {f.name for f in fields}:
        amounts = [i.get("amount") for i in table.items]
        if all(isinstance(a, float) for a in amounts):
            fields.append(ExtractedField("total_value", "", norm_amount(sum(amounts)), 0.5, 0, (), derived=True))


def _copy(f: ExtractedField) -> tuple:
    return f.value, f.normalised, f.confidence, f.page, f.polygons, f.derived


def _best_scalars(fields: list[ExtractedField]) -> list[ExtractedField]:
    """One value per scalar field (the most confident, earliest on ties); every distinct multi value once."""
    best: dict[str, ExtractedField] = {}
    multi: dict[tuple[str, object], ExtractedField] = {}
    for f in fields:
        if f.name in ("container_numbers", "hs_codes"):
            key = (f.name, f.normalised)
            if key not in multi or f.confidence > multi[key].confidence:
                multi[key] = f
        elif f.name not in best or f.confidence > best[f.name].confidence + 1e-9:
            best[f.name] = f
    return list(best.values()) + list(multi.values())


def extract_document(document: DocumentText, *, type_hint: str | None = None) -> DocumentExtraction:
    """Key elements of one document (all its pages) from the OCR engine's lines."""
    lines = split_merged_labels(flatten(document))
    doc_type, type_conf = classify(lines, type_hint)
    cjk = sum(len(_CJK.findall(ln.text)) for ln in lines)
    language = "zh" if cjk > 0.1 * max(1, sum(len(ln.text) for ln in lines)) else "en"
    table = parse_item_table(lines)
    free = [ln for ln in lines if ln.index not in table.consumed]
    labels = {i: hit for i, hit in find_labels(free).items()}
    fields: list[ExtractedField] = []
    party_lines: set[int] = set()
    for hit in sorted(labels.values(), key=lambda hit: hit.line.index):
        if hit.field in _PARTY_ROLES:
            found, used = _resolve_party(_PARTY_ROLES[hit.field], hit, free, labels)
            if not any(f.name.endswith("_name") and f.name.startswith(hit.field) for f in fields):
                fields.extend(found)
            party_lines |= used
        elif hit.field not in ("notify", "uscc", "other", "hs_codes", "container_numbers", "pre_entry_no"):
            fields.extend(_resolve_scalar(hit, free, labels))
    for ln in free:
        for reading in find_containers(ln.text):
            fields.append(_field("container_numbers", reading, [ln]))
        text, used = ln.text, [ln]
        if _HS_AT_END.search(text):  # "... HS CODE:" / "... HS" wrapped before the code
            nxt = _continuation(ln, free, labels) or next(iter(right_of(ln, free, max_gap=4 * ln.height)), None)
            text, used = (f"{text} {nxt.text}", [ln, nxt]) if nxt else (text, used)
        for m in _HS_VALUE.finditer(text):
            for reading in read_hs_codes(m.group("code")):
                fields.append(_field("hs_codes", reading, used))
    _from_table(table, fields)
    if looks_like_receipt(fields):  # no consignor and no customs number read: a receipt or a general invoice
        fields = _with_key_elements(fields, lines, document)
    return DocumentExtraction(doc_type, round(type_conf, 4), language, _best_scalars(fields), table.items)


# Fields the receipt layer answers for alone (its abstention removes the rules' guess); the others it only adds.
_KEY_ELEMENT_OWNS = ("consignor_name", "invoice_date", "total_value", "currency")


def _with_key_elements(fields: list[ExtractedField], lines: list[Line], document: DocumentText
                       ) -> list[ExtractedField]:
    if not lines:
        return fields
    page = next(p for p in document.pages if p.index == lines[0].page) if document.pages else None
    width = float(page.width) if page and page.width else max(ln.x2 for ln in lines)
    height = float(page.height) if page and page.height else max(ln.y2 for ln in lines)
    found = receipt_key_elements(lines, width, height, default_model()).fields
    have = {f.name for f in fields}
    kept = [f for f in fields if f.name not in _KEY_ELEMENT_OWNS
            and not (f.name == "consignee_name" and not plausible_buyer(f.value))]  # "Bill To: CASH" + labels
    return kept + [f for f in found if f.name in _KEY_ELEMENT_OWNS or f.name not in have]
