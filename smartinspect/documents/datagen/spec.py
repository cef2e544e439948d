"""What a document says, before layout: title, parties, labelled fields, an item table, totals, and the ground
truth of every field it prints (normalised the way the extractor normalises).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class KV:
    """One labelled value. ``value`` may hold several lines ("\\n"). ``field`` names the ground-truth field."""

    label: str
    value: str
    field: str | None = None


@dataclass
class PartyBlock:
    label: str
    lines: list[str]  # name first, then address, then the credit-code line if any


@dataclass
class TableSpec:
    keys: list[str]  # column keys (see labels.COLUMNS)
    headers: list[str]
    rows: list[list[str]]
    total_row: list[str] | None = None  # aligned with the columns ("" where empty)
    align: list[str] = field(default_factory=list)  # "left" / "right" per column


@dataclass
class DocSpec:
    doc_type: str  # declaration | invoice | packing_list | bill_of_lading
    lang: str  # "en" | "zh"
    title: str
    letterhead: list[str] = field(default_factory=list)
    parties: list[PartyBlock] = field(default_factory=list)
    fields: list[KV] = field(default_factory=list)
    table: TableSpec | None = None
    totals: list[KV] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signature: str = ""
    stamp_words: list[str] = field(default_factory=list)
    gt: dict[str, Any] = field(default_factory=dict)  # field -> normalised value (lists for multi-valued fields)
    printed: dict[str, str] = field(default_factory=dict)  # field -> the text printed for it
    gt_items: list[dict[str, Any]] = field(default_factory=list)
