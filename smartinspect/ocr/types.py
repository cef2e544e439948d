"""The OCR result types. Part of the contract with key-element extraction (``smartinspect.documents``).

Coordinates are page pixels of the *upright* page: the image after the page rotation and deskew the engine
applied (``PageText.angle``), or the PDF page rendered at the intake DPI for text-layer pages. The page images
served by ``GET /v1/documents/{id}/pages/{n}.png`` are in the same frame, so boxes can be drawn on them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

PageSource = Literal["ocr", "text_layer"]
Polygon = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class OcrLine:
    """One text line: its text, a confidence in [0, 1] and its polygon (4 corners, clockwise from top-left)."""

    text: str
    confidence: float
    polygon: Polygon

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Axis-aligned (x1, y1, x2, y2) around the polygon."""
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return min(xs), min(ys), max(xs), max(ys)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "polygon": [[round(float(x), 1), round(float(y), 1)] for x, y in self.polygon],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OcrLine:
        return cls(str(data["text"]), float(data["confidence"]), tuple((float(x), float(y)) for x, y in data["polygon"]))


@dataclass(frozen=True)
class PageText:
    """The lines of one page in reading order. ``angle``: degrees the page was rotated (counter-clockwise) to
    make it upright, e.g. 90.0 for a phone photo taken sideways, or -2.3 for a small deskew."""

    index: int
    width: int
    height: int
    source: PageSource
    angle: float
    lines: list[OcrLine] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The page's text in reading order, one line per line."""
        return "\n".join(line.text for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "width": self.width,
            "height": self.height,
            "source": self.source,
            "angle": round(float(self.angle), 2),
            "lines": [line.to_json() for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageText:
        return cls(
            index=int(data["index"]), width=int(data["width"]), height=int(data["height"]),
            source=data["source"], angle=float(data["angle"]),
            lines=[OcrLine.from_json(line) for line in data["lines"]],
        )


@dataclass(frozen=True)
class DocumentText:
    """Every page of one uploaded file. ``media_type``: application/pdf, image/png, image/jpeg or image/tiff."""

    pages: list[PageText]
    media_type: str

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)

    def to_json(self) -> dict[str, Any]:
        return {"media_type": self.media_type, "pages": [page.to_json() for page in self.pages]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentText:
        return cls(pages=[PageText.from_json(p) for p in data["pages"]], media_type=data["media_type"])
