"""HTTP shapes of documents. Internal types: ``smartinspect.ocr.types`` (text) and ``smartinspect.documents.types``
(extraction, validations, discrepancies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

Point = tuple[float, float]


class OcrLinePublic(BaseModel):
    text: str
    confidence: float = Field(description="mean character probability in [0, 1]; 1.0 for text-layer lines")
    polygon: list[Point] = Field(description="corners tl, tr, br, bl in pixels of the page image (pages/{n}.png)")


class PagePublic(BaseModel):
    index: int = Field(description="0-based")
    width: int
    height: int
    source: str = Field(description="ocr | text_layer (a PDF page whose text layer was used instead of OCR)")
    angle: float = Field(description="degrees the page was turned (counter-clockwise) to make it upright")
    text: str = Field(description="the page's lines in reading order, one per line")
    lines: list[OcrLinePublic]
    image: str = Field(description="link to the upright page image the polygons refer to")


class FieldPublic(BaseModel):
    name: str = Field(description="e.g. bl_no, container_numbers, hs_codes, gross_weight, consignee_name")
    value: str = Field(description="as printed")
    normalised: str | float | int | None
    confidence: float
    page: int
    polygons: list[list[Point]] = Field(description="the source line boxes, page pixels")
    derived: bool = Field(description="computed from other fields (e.g. summed items), not printed as such")


class ValidationPublic(BaseModel):
    field: str
    code: str = Field(description="iso6346, hs_structure, incoterm_2020, iso4217, date, items_sum_*, net_le_gross, uscc")
    ok: bool
    message: str
    severity: str


class DiscrepancyPublic(BaseModel):
    field: str
    severity: str = Field(description="low | medium | high")
    message: str
    documents: list[str] = Field(description="which documents disagree: declaration, or <type>:<id prefix>")
    values: dict[str, Any]


class DocumentLinks(BaseModel):
    self: str
    pages: list[str]


class DocumentPublic(BaseModel):
    id: str
    status: str = Field(description="received | processed | failed")
    verdict: str | None = Field(description="CLEAR | REVIEW | INSPECT once processed (handed to clearance)")
    name: str | None = Field(description="how this document is named in discrepancies: <type>:<id prefix>")
    declaration_no: str | None
    doc_type_hint: str | None
    doc_type: str | None
    doc_type_confidence: float | None
    language: str | None
    filename: str | None
    media_type: str
    size_bytes: int
    page_count: int
    pages: list[PagePublic] = []
    fields: list[FieldPublic] = []
    items: list[dict[str, FieldPublic]] = Field(default=[], description="goods lines of the item table")
    validations: list[ValidationPublic] = []
    discrepancies: list[DiscrepancyPublic] = []
    timings_ms: dict[str, float] = {}
    models: dict[str, str] = {}
    error: str | None = None
    created_at: datetime
    processed_at: datetime | None
    links: DocumentLinks
