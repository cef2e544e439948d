"""Build OCR results by hand: lines of text at page positions (x, y of the top-left corner, 10 px per character)."""

from __future__ import annotations

import pytest

from smartinspect.ocr.types import DocumentText, OcrLine, PageText


def make_document(lines: list[tuple[str, float, float]], *, confidence: float = 0.98, height: float = 20.0
                  ) -> DocumentText:
    ocr = []
    for text, x, y in lines:
        w = 10.0 * len(text)
        ocr.append(OcrLine(text, confidence, ((x, y), (x + w, y), (x + w, y + height), (x, y + height))))
    return DocumentText([PageText(0, 1240, 1754, "ocr", 0.0, ocr)], "image/png")


@pytest.fixture
def doc():
    return make_document
