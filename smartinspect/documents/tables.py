"""Item tables: find the header row by the column lexicon, map cells to columns by x-overlap, read each row.

OCR may merge neighbouring cells into one line; such a line is split into words, each placed at its estimated x.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smartinspect.documents.fields import Reading, read_country, read_currency, read_hs_code
from smartinspect.documents.geometry import Line, rows, typical_height
from smartinspect.documents.labels import match_column, match_label
from smartinspect.documents.normalise import norm_amount, norm_name, parse_number, parse_unit
from smartinspect.documents.types import ExtractedField, LineItem

_TOTAL_WORD = re.compile(r"^\s*(total|totals|sub-?total|grand\s*total|合计|总计|小计)\b\s*[:：]?", re.IGNORECASE)


@dataclass
class Column:
    key: str
    x1: float
    x2: float


@dataclass
class ItemTable:
    items: list[LineItem] = field(default_factory=list)
    totals: dict[str, ExtractedField] = field(default_factory=dict)  # from a TOTAL row: amount, packages, net_kg...
    consumed: set[int] = field(default_factory=set)  # line indices that belong to the table
    header_text: str = ""
    total_text: str = ""  # the whole TOTAL row ("TOTAL  USD 12,345.00"): a currency may stand apart from the sum


@dataclass
class Cell:
    text: str
    lines: list[Line]


def _header_columns(row: list[Line]) -> list[Column]:
    cols = []
    for line in row:
        label = match_label(line.text)
        if label and label[0] in ("container_numbers", "bl_no", "consignor", "consignee", "vessel", "invoice_no"):
            return []  # a row of form boxes ("CONTAINER NO." beside "DESCRIPTION OF GOODS"), not a table header
        found = match_column(line.text)
        if not found or any(key == "?" for key, _, _ in found):
            continue
        n = max(1, len(line.text))
        for key, start, end in found:  # merged headers: split the box by character position
            cols.append(Column(key, line.x1 + (line.x2 - line.x1) * start / n, line.x1 + (line.x2 - line.x1) * end / n))
    return cols


def _find_header(all_rows: list[list[Line]]) -> tuple[int, list[Column]] | None:
    best = None
    for i, row in enumerate(all_rows):
        cols = _header_columns(row)
        keys = {c.key for c in cols}
        # A goods table names its goods (a description or a code column) and has two more known columns.
        good = len(keys) >= 3 and keys & {"description", "hs_code"}
        if good and (best is None or len(keys) > len({c.key for c in best[1]})):
            best = (i, cols)
    return best


_TOKEN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef()（）]+|[0-9][0-9,.]*|[^\s0-9\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def _char_width(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2e80 else 0.55  # CJK glyphs are about twice as wide as Latin ones


def _split_merged(line: Line) -> list[tuple[str, float, float]]:
    """Words of a line that spans several columns, each with its estimated x-range (by glyph widths)."""
    widths = [_char_width(ch) for ch in line.text]
    scale = (line.x2 - line.x1) / max(sum(widths), 1e-6)
    starts = [line.x1 + scale * sum(widths[:i]) for i in range(len(widths) + 1)]
    return [(m.group(0), starts[m.start()], starts[m.end()]) for m in _TOKEN.finditer(line.text)]


def _assign(row: list[Line], cols: list[Column]) -> dict[str, Cell]:
    """Cells of a row by column key: each line (or word of a merged line) goes to its column."""
    cells: dict[str, Cell] = {}
    for line in row:
        pieces = [(line.text, line.x1, line.x2)]
        if len([c for c in cols if line.h_overlap(c.x1, c.x2) > 0]) > 1 or len(_TOKEN.findall(line.text)) > 1:
            words = _split_merged(line)
            targets = {_column_for(x1, x2, w, cols, 0.25 * line.height).key for w, x1, x2 in words}
            if len(targets) > 1:  # merged across columns: place each word
                pieces = words
        for text, x1, x2 in pieces:
            col = _column_for(x1, x2, text, cols, 0.25 * line.height)
            cell = cells.setdefault(col.key, Cell("", []))
            cell.text = f"{cell.text} {text}".strip()
            if line not in cell.lines:
                cell.lines.append(line)
    return cells


def _column_for(x1: float, x2: float, text: str, cols: list[Column], pad: float) -> Column:
    """Text goes to the header it overlaps most (else the span holding its left edge); numbers, usually
    right-aligned, to the span holding their right edge. A span runs from a header's left edge to the next's.
    ``pad``: how far an OCR box reaches beyond its ink."""
    compact = text.replace(" ", "")
    numeric = sum(ch.isdigit() for ch in compact) >= max(1, len(compact) // 2)
    if not numeric:
        overlaps = [max(0.0, min(x2, c.x2) - max(x1, c.x1)) for c in cols]
        if max(overlaps) > 0:
            return cols[overlaps.index(max(overlaps))]
    point = x2 - pad if numeric else x1 + pad
    for i, col in enumerate(cols):
        if i + 1 == len(cols) or point < cols[i + 1].x1:
            return col
    return cols[-1]


def _field(name: str, reading: Reading, cell: Cell) -> ExtractedField:
    conf = min(ln.confidence for ln in cell.lines) * reading.certainty
    return ExtractedField(name, reading.value, reading.normalised, conf, cell.lines[0].page,
                          tuple(ln.polygon for ln in cell.lines))


def _read_cell(key: str, text: str) -> Reading | None:
    if key == "description":
        t = re.sub(r"^\d{1,3}\s+(?=\D)", "", text.strip())  # a row number whose header the OCR missed
        return Reading(t, norm_name(t), 0.9) if len(norm_name(t)) >= 2 else None
    if key == "hs_code":
        return read_hs_code(text)
    if key == "unit":
        unit = parse_unit(text)
        return Reading(text, unit, 0.95) if unit else None
    if key == "origin":
        return read_country(text)
    if key == "currency":
        return read_currency(text)
    if key in ("quantity", "unit_price", "amount", "packages", "net_kg", "gross_kg"):
        value = parse_number(text)
        if value is None:
            return None
        value = round(value) if key == "packages" else norm_amount(value)
        return Reading(text, value, 0.95)
    return None


def _read_row(cells: dict[str, Cell]) -> LineItem:
    item = LineItem()
    for key, cell in cells.items():
        reading = _read_cell(key, cell.text)
        if reading is not None:
            item.fields[key] = _field(key, reading, cell)
    if "unit" not in item.fields:  # "1,200 PCS" in one cell, or a unit word placed under a neighbouring header
        for key in ("quantity", "unit_price", "amount", "packages"):
            cell = cells.get(key)
            words = [w for w in re.split(r"[\d.,\s]+", cell.text) if w] if cell else []
            unit = next((u for u in map(parse_unit, words) if u), None)
            if unit:
                item.fields["unit"] = _field("unit", Reading(cell.text, unit, 0.9), cell)
                break
    return item


def parse_item_table(lines: list[Line]) -> ItemTable:
    """The goods table of a document (the header row with most known columns), with its TOTAL row if any."""
    all_rows = rows(lines)
    found = _find_header(all_rows)
    table = ItemTable()
    if found is None:
        return table
    start, cols = found
    cols.sort(key=lambda c: c.x1)
    header = all_rows[start]
    table.consumed.update(ln.index for ln in header)
    table.header_text = " ".join(ln.text for ln in header)
    h = typical_height(lines)
    left, right = cols[0].x1 - 3 * h, cols[-1].x2 + 6 * h
    last_y = max(ln.y2 for ln in header)
    for row in all_rows[start + 1:]:
        row = [ln for ln in row if ln.x2 > left and ln.x1 < right]
        if not row or row[0].page != header[0].page:
            break
        if min(ln.y1 for ln in row) - last_y > 3.0 * h:
            break
        first = min(row, key=lambda ln: ln.x1)
        # "TOTAL" starts a totals row; "Total N.W." is a weight label below the table, not one.
        is_total = any(_TOTAL_WORD.match(ln.text) and (match_label(ln.text) or ("total_value",))[0] == "total_value"
                       for ln in row)
        if not is_total and match_label(first.text) and not _looks_like_item(row, cols):
            break
        cells = _assign(row, cols)
        if is_total:  # a TOTAL row inside the table; a lone "TOTAL" label under it is left to the labels
            total_item = _read_row({k: c for k, c in cells.items() if k != "description"})
            table.totals = {k: f for k, f in total_item.fields.items() if k not in ("no", "unit")}
            if table.totals:
                table.consumed.update(ln.index for ln in row)
                table.total_text = " ".join(ln.text for ln in row)
            break
        item = _read_row(cells)
        if len([k for k in item.fields if k != "no"]) < 2:
            break
        table.consumed.update(ln.index for ln in row)
        table.items.append(item)
        last_y = max(ln.y2 for ln in row)
    if not table.items:  # header-like words without goods lines under them (a B/L's boxes): no table
        return ItemTable()
    return table


def _looks_like_item(row: list[Line], cols: list[Column]) -> bool:
    """A row with numbers under at least two numeric columns is an item even if its first word looks like a label."""
    cells = _assign(row, cols)
    numeric = [k for k in ("quantity", "unit_price", "amount", "packages", "net_kg", "gross_kg", "hs_code")
               if k in cells and parse_number(cells[k].text) is not None]
    return len(numeric) >= 2
