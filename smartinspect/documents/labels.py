"""Finding labels in OCR lines: which field a line names, and the text printed after the label on the same line."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from smartinspect.documents.fields import COLUMN_PATTERNS, LABEL_PATTERNS, READERS, STRICT_LABELS
from smartinspect.documents.geometry import Line

# Labels of boxes we do not extract: they still stop a search for a neighbour's value.
OTHER_LABELS = re.compile(
    r"^\s*(contract\s*no|s\s*/\s*c\s*no|order\s*no|p\.?\s*o\.?\s*no|marks(\s*&\s*nos?)?|measurement|"
    r"freight|place\s*(and|&)\s*date|place\s*of\s*(issue|receipt|delivery)|payment|terms\s*of\s*payment|"
    r"合同(协议)?号|进境关别|出境关别|进口日期|出口日期|申报日期|运输方式|监管方式|征免性质|包装种类|随附单[证据]|"
    r"许可证号|备案号|备注|标记唛码|境内目的地|消费使用单位|生产销售单位|申报单位|运费|保费|杂费|贸易国|启运国|运抵国|"
    r"经停港|货物存放地点)", re.IGNORECASE)


@dataclass(frozen=True)
class LabelHit:
    field: str  # a key of fields.LABELS, or "other"
    line: Line
    remainder: str  # text after the label (and its colon) on the same line
    colon: bool


def match_label(text: str) -> tuple[str, str, bool] | None:
    """``(field, remainder, colon)`` for the longest label at the start of ``text``, or None."""
    best = None
    for field, pattern, regex in LABEL_PATTERNS:
        m = regex.match(text)
        if not m or (best and m.end() <= best[0]):
            continue
        matched = m.group(0)
        colon = ":" in matched or "：" in matched
        remainder = text[m.end():].strip()
        if pattern in STRICT_LABELS and not colon and remainder:
            reader = READERS.get(field)
            if reader is None or reader(remainder) is None or len(matched.strip()) < 2:
                continue
        best = (m.end(), field, remainder, colon)
    if best is None:
        m = OTHER_LABELS.match(text)
        return ("other", "", False) if m else None
    return best[1], best[2], best[3]


# Labels that may start a second field inside one OCR line ("... CO., LTD. Consignee TRIDENT ..."): the OCR
# merges neighbouring cells when the gap between them is small. Short or ambiguous labels are not split on.
_SPLIT_FIELDS = {"consignor", "consignee", "notify", "bl_no", "vessel_voyage", "port_of_loading", "port_of_discharge",
                 "container_numbers", "gross_weight", "net_weight", "invoice_no", "incoterm", "declaration_no"}
_NOT_AFTER = {"AS", "OF", "TO", "THE", "BY", "AND", "&", "FOR"}  # "SAME AS CONSIGNEE", "TO ORDER OF SHIPPER"


def _split_point(text: str) -> int | None:
    own = match_label(text)  # the line's own label ("CONSIGNED TO:") is never cut
    own_end = (len(text) - len(own[1]) if own[1] else len(text)) if own and own[0] != "other" else 0
    words = [m.start() for m in re.finditer(r"(?<=\s)\S", text) if m.start() >= own_end]
    for pos in words:
        previous = text[:pos].split()[-1].upper() if text[:pos].split() else ""
        if previous in _NOT_AFTER:
            continue
        found = match_label(text[pos:])
        label_length = len(text[pos:]) - len(found[1]) if found else 0
        if found and found[0] in _SPLIT_FIELDS and label_length >= 7:
            return pos
    return None


def split_merged_labels(lines: list[Line]) -> list[Line]:
    """Split lines in which a second labelled field starts; boxes are cut by glyph width, indices renumbered."""
    out: list[Line] = []
    for line in lines:
        pending = [line]
        while pending:
            current = pending.pop(0)
            pos = _split_point(current.text)
            if pos is None:
                out.append(current)
                continue
            widths = [1.0 if ord(ch) > 0x2e80 else 0.55 for ch in current.text]
            cut = current.x1 + (current.x2 - current.x1) * sum(widths[:pos]) / max(sum(widths), 1e-6)
            left = replace(current, text=current.text[:pos].strip(), x2=cut)
            right = replace(current, text=current.text[pos:].strip(), x1=cut)
            out.append(left)
            pending.insert(0, right)
    return [replace(ln, index=i) for i, ln in enumerate(out)]


def find_labels(lines: list[Line]) -> dict[int, LabelHit]:
    """Label hits by line index."""
    hits = {}
    for line in lines:
        found = match_label(line.text)
        if found:
            hits[line.index] = LabelHit(found[0], line, found[1], found[2])
    return hits


def match_column(text: str) -> list[tuple[str, int, int]]:
    """Column headers in ``text`` (OCR may merge neighbouring headers): ``(key, start, end)`` left to right."""
    out = []
    pos = 0
    while pos < len(text):
        best = None
        for key, _, regex in COLUMN_PATTERNS:
            m = regex.match(text[pos:])
            if m and (best is None or m.end() > best[1]):
                best = (key, m.end())
        if best is None:
            return out if out and not text[pos:].strip() else ([] if not out else out + [("?", pos, len(text))])
        out.append((best[0], pos, pos + best[1]))
        pos += best[1]
        while pos < len(text) and text[pos] == " ":
            pos += 1
    return out
