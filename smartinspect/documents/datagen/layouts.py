"""Layout families: the same DocSpec printed four ways.

- ``kv``: centred title, parties stacked left, "Label: value" lines right, a fully ruled item table.
- ``grid``: a boxed form (B/L style): every field a cell, small label top-left, value below.
- ``columns``: parties side by side, labels and values in two aligned columns, an unruled table.
- ``banner`` (HELD OUT: never used in development, only for the held-out test set): left title with a thick
  rule, a strip of shaded label bands over values, parties with the label beside the first line, a table with a
  shaded header and no vertical rules, a right-aligned totals block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from smartinspect.documents.datagen.canvas import Canvas, Style
from smartinspect.documents.datagen.spec import DocSpec, TableSpec

LAYOUTS = ("kv", "grid", "columns", "banner")
DEVELOPMENT_LAYOUTS = ("kv", "grid", "columns")
HELD_OUT_LAYOUTS = ("banner",)
PAGE = (1240, 1754)  # A4 at 150 dpi


@dataclass(frozen=True)
class Look:
    family: str
    size: int  # body text height in px

    def body(self, bold: bool = False) -> Style:
        return Style(self.family, self.size, bold)

    def small(self, bold: bool = False) -> Style:
        return Style(self.family, max(14, self.size - 4), bold, (60, 60, 60))

    def title(self) -> Style:
        return Style(self.family, self.size + 14, True)


_TOKENS = re.compile(r"\s+|[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]|[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")


def wrap(canvas: Canvas, text: str, style: Style, width: float) -> list[str]:
    """Split ``text`` so each line fits ``width`` px: between words, or between CJK characters, never inside a
    Latin word or a number."""
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for token in _TOKENS.findall(para):
            trial = f"{line}{token}"
            if line.strip() and not token.isspace() and canvas.measure(trial.rstrip(), style)[0] > width:
                out.append(line.rstrip())
                line = token
            else:
                line = trial if (line or not token.isspace()) else ""
        out.append(line.rstrip())
    return [line for line in out if line]


def render(spec: DocSpec, layout: str, look: Look, rng: np.random.Generator) -> Canvas:
    """Print ``spec`` with layout family ``layout``; shrinks the type until the page holds everything."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; layouts are {', '.join(LAYOUTS)}")
    draw = {"kv": _kv, "grid": _grid, "columns": _columns, "banner": _banner}[layout]
    size = look.size
    while True:
        canvas = Canvas(*PAGE, paper=tuple(int(v) for v in rng.integers(246, 256, size=3)))
        bottom = draw(canvas, spec, Look(look.family, size), np.random.default_rng(rng.integers(2**32)))
        if bottom <= PAGE[1] - 40 or size <= 15:
            return canvas
        size -= 2


def _footer(canvas: Canvas, spec: DocSpec, look: Look, y: float, rng: np.random.Generator) -> float:
    for note in spec.notes:
        y = canvas.text(80, y, note, look.body())[3] + 10
    if spec.signature:
        y = max(y + 30, canvas.height - 260)
        box = canvas.text(canvas.width - 90, y, spec.signature, look.body(), align="right")
        canvas.rule(box[0] - 40, box[1] - 8, box[2], box[1] - 8, width=1)
        if spec.stamp_words:
            canvas.stamp(rng, box[0] + float(rng.uniform(-40, 40)), box[1] - 120, spec.stamp_words, look.family)
        y = box[3]
    return y


def table(canvas: Canvas, t: TableSpec, x0: float, y0: float, width: float, look: Look, *, ruled: bool,
          vertical: bool, shaded: bool = False) -> float:
    """Draw the item table; returns the y below it. Columns get their natural width, spare space to the widest."""
    style, head = look.body(), look.small(bold=True)
    pad = 12
    rows = t.rows + ([t.total_row] if t.total_row else [])
    widths = [max([canvas.measure(h, head)[0]] + [canvas.measure(r[i], style)[0] for r in rows]) + 2 * pad
              for i, h in enumerate(t.headers)]
    while sum(widths) > width and style.size > 13:  # too wide: smaller type
        style, head = Style(style.family, style.size - 1), Style(head.family, head.size - 1, True)
        widths = [max([canvas.measure(h, head)[0]] + [canvas.measure(r[i], style)[0] for r in rows]) + 2 * pad
                  for i, h in enumerate(t.headers)]
    spare = max(0.0, width - sum(widths))
    if "description" in t.keys:  # spare room goes to the description, so numbers stay under their headers
        widths[t.keys.index("description")] += spare
    else:
        widths = [v + spare / len(widths) for v in widths]
    xs = np.concatenate([[x0], x0 + np.cumsum(widths)])
    row_h = style.size + 18
    if shaded:
        canvas.rect((x0, y0, xs[-1], y0 + row_h + 6), width=1, outline=(150, 150, 150), fill=(215, 215, 215))
    for i, header in enumerate(t.headers):
        canvas.text(xs[i] + pad, y0 + 8, header, head)
    y = y0 + row_h + 6
    canvas.rule(x0, y, xs[-1], y, width=2)
    for r_index, row in enumerate(rows):
        for i, cell in enumerate(row):
            right = t.align[i] == "right" if t.align else False
            canvas.text(xs[i + 1] - pad if right else xs[i] + pad, y + 9, cell, style,
                        align="right" if right else "left")
        y += row_h
        if ruled or (t.total_row and r_index == len(rows) - 2):
            canvas.rule(x0, y, xs[-1], y, width=1)
    if ruled:
        canvas.rect((x0, y0, xs[-1], y), width=2)
    if vertical:
        for x in xs[1:-1]:
            canvas.rule(x, y0, x, y, width=1)
    return y


def _kv(canvas: Canvas, spec: DocSpec, look: Look, rng: np.random.Generator) -> float:
    w, m = canvas.width, 80
    y = 70.0
    for line in spec.letterhead:
        y = canvas.text(w / 2, y, line, look.body(bold=True), align="center")[3] + 8
    y = canvas.text(w / 2, y + 10, spec.title, look.title(), align="center")[3] + 30
    yl = yr = y
    for party in spec.parties:
        yl = canvas.text(m, yl, f"{party.label}:", look.body(bold=True))[3] + 6
        for line in party.lines:
            for part in wrap(canvas, line, look.body(), w / 2 - m - 30):
                yl = canvas.text(m + 20, yl, part, look.body())[3] + 6
        yl += 16
    for kv in spec.fields:
        first, *rest = kv.value.split("\n")
        parts = wrap(canvas, f"{kv.label}: {first}", look.body(), w / 2 - m - 20)
        parts += [p for line in rest for p in wrap(canvas, line, look.body(), w / 2 - m - 40)]
        box = canvas.text(w / 2 + 20, yr, parts[0], look.body())
        for part in parts[1:]:
            box = canvas.text(w / 2 + 40, box[3] + 6, part, look.body())
        yr = box[3] + 12
    y = max(yl, yr) + 20
    if spec.table:
        y = table(canvas, spec.table, m, y, w - 2 * m, look, ruled=True, vertical=True) + 20
    for kv in spec.totals:
        y = canvas.text(w - m, y, f"{kv.label}: {kv.value}", look.body(bold=True), align="right")[3] + 10
    return _footer(canvas, spec, look, y + 20, rng)


def _cell(canvas: Canvas, box, label: str, value: str, look: Look, *, frame: bool = True) -> None:
    x1, y1, x2, _ = box
    if frame:
        canvas.rect(box, width=1)
    y = canvas.text(x1 + 10, y1 + 6, label, look.small())[3] + 6
    for part in wrap(canvas, value, look.body(), x2 - x1 - 24):
        y = canvas.text(x1 + 14, y, part, look.body())[3] + 5


def _cell_height(canvas: Canvas, label: str, value: str, width: float, look: Look) -> float:
    lines = len(wrap(canvas, value, look.body(), width - 24))
    return 12 + 1.3 * look.small().size + lines * (1.3 * look.size + 5) + 10


def _grid(canvas: Canvas, spec: DocSpec, look: Look, rng: np.random.Generator) -> float:
    w, m = canvas.width, 60
    mid = w / 2
    y = 60.0
    for part in wrap(canvas, spec.title, look.title(), w - m - mid - 20):
        y = canvas.text(mid + 20, y, part, look.title())[3] + 8
    y += 16
    for line in spec.letterhead:
        y = canvas.text(mid + 20, y, line, look.small(bold=True))[3] + 6
    yl, yr = 60.0, y + 10
    for party in spec.parties:
        h = _cell_height(canvas, party.label, "\n".join(party.lines), mid - m, look)
        _cell(canvas, (m, yl, mid, yl + h), party.label, "\n".join(party.lines), look)
        yl += h
    fields = list(spec.fields)
    half = (w - m - mid) / 2
    def is_wide(kv) -> bool:
        return "\n" in kv.value or canvas.measure(kv.value, look.body())[0] > half - 30

    while fields:
        kv = fields.pop(0)
        if is_wide(kv) or not fields or is_wide(fields[0]):
            h = _cell_height(canvas, kv.label, kv.value, w - m - mid, look)
            _cell(canvas, (mid, yr, w - m, yr + h), kv.label, kv.value, look)
            yr += h
            continue
        other = fields.pop(0)
        h = max(_cell_height(canvas, kv.label, kv.value, half, look),
                _cell_height(canvas, other.label, other.value, half, look))
        _cell(canvas, (mid, yr, mid + half, yr + h), kv.label, kv.value, look)
        _cell(canvas, (mid + half, yr, w - m, yr + h), other.label, other.value, look)
        yr += h
    y = max(yl, yr)
    if spec.table:
        y = table(canvas, spec.table, m, y, w - 2 * m, look, ruled=False, vertical=True) + 4
        canvas.rule(m, y, w - m, y, width=2)
    for kv in spec.totals:
        h = _cell_height(canvas, kv.label, kv.value, w / 2, look)
        _cell(canvas, (mid, y, w - m, y + h), kv.label, kv.value, look)
        y += h
    return _footer(canvas, spec, look, y + 20, rng)


def _columns(canvas: Canvas, spec: DocSpec, look: Look, rng: np.random.Generator) -> float:
    w, m = canvas.width, 80
    canvas.text(m, 70, spec.title, look.title())
    y = 70.0
    for line in spec.letterhead:
        y = canvas.text(w - m, y, line, look.small(bold=True), align="right")[3] + 4
    y = max(y, 70 + look.title().size + 16) + 24
    col_w = (w - 2 * m - 40) / max(1, len(spec.parties))
    bottom = y
    for i, party in enumerate(spec.parties):
        x = m + i * (col_w + 20)
        box = canvas.text(x, y, party.label.upper() if party.label.isascii() else party.label, look.body(bold=True))
        canvas.rule(x, box[3] + 3, box[2], box[3] + 3, width=1)
        yy = box[3] + 12
        for line in party.lines:
            for part in wrap(canvas, line, look.body(), col_w - 10):
                yy = canvas.text(x, yy, part, look.body())[3] + 5
        bottom = max(bottom, yy)
    y = bottom + 30
    label_w = max(canvas.measure(kv.label, look.body(bold=True))[0] for kv in spec.fields) + 30
    for kv in spec.fields:
        canvas.text(m, y, kv.label, look.body(bold=True))
        for part in wrap(canvas, kv.value, look.body(), w - 2 * m - label_w):
            y = canvas.text(m + label_w, y, part, look.body())[3] + 6
        y += 8
    y += 16
    if spec.table:
        y = table(canvas, spec.table, m, y, w - 2 * m, look, ruled=False, vertical=False) + 24
    for kv in spec.totals:
        canvas.text(w - m - 520, y, kv.label, look.body(bold=True))
        y = canvas.text(w - m, y, kv.value, look.body(bold=True), align="right")[3] + 10
    return _footer(canvas, spec, look, y + 20, rng)


def _banner(canvas: Canvas, spec: DocSpec, look: Look, rng: np.random.Generator) -> float:
    w, m = canvas.width, 70
    box = canvas.text(m, 60, spec.title, Style(look.family, look.size + 20, True))
    canvas.rule(m, box[3] + 14, w - m, box[3] + 14, width=6)
    for i, line in enumerate(spec.letterhead):
        canvas.text(w - m, 64 + i * 28, line, look.small(), align="right")
    y = box[3] + 40
    per_row = 3
    cell_w = (w - 2 * m) / per_row
    fields = list(spec.fields)
    for start in range(0, len(fields), per_row):
        row = fields[start:start + per_row]
        h = max(_cell_height(canvas, kv.label, kv.value, cell_w, look) for kv in row) + 8
        for i, kv in enumerate(row):
            x1 = m + i * cell_w
            canvas.rect((x1, y, x1 + cell_w, y + look.small().size + 14), width=0, outline=(225, 225, 225),
                        fill=(225, 225, 225))
            _cell(canvas, (x1, y, x1 + cell_w, y + h), kv.label.upper() if kv.label.isascii() else kv.label,
                  kv.value, look, frame=False)
        y += h + 6
    y += 10
    half = (w - 2 * m) / 2
    bottom = y
    for i, party in enumerate(spec.parties[:2] if len(spec.parties) > 2 else spec.parties):
        x = m + i * half
        lb = canvas.text(x, y, f"{party.label}", look.body(bold=True))
        yy = y
        for line in party.lines:
            for part in wrap(canvas, line, look.body(), half - (lb[2] - x) - 40):
                yy = canvas.text(lb[2] + 18, yy, part, look.body())[3] + 5
        bottom = max(bottom, yy)
    for party in spec.parties[2:]:
        bottom = canvas.text(m, bottom + 10, f"{party.label}  {' '.join(party.lines)}", look.body())[3]
    y = bottom + 30
    if spec.table:
        y = table(canvas, spec.table, m, y, w - 2 * m, look, ruled=False, vertical=False, shaded=True) + 24
    for kv in spec.totals:
        canvas.text(w / 2, y, kv.label, look.body())
        y = canvas.text(w - m, y, kv.value, look.body(bold=True), align="right")[3] + 10
        canvas.rule(w / 2, y, w - m, y, width=1)
        y += 8
    return _footer(canvas, spec, look, y + 20, rng)
