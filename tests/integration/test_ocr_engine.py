"""The OCR engine on the shipped PP-OCR models: real pages rendered with the Noto CJK font, turned photos, PDFs."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from smartinspect.config import Settings
from smartinspect.ocr.bench_pages import render_text_page
from smartinspect.ocr.engine import OcrEngine
from smartinspect.ocr.metrics import char_accuracy

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "ocr"))
from pdf_samples import text_pdf

LINES = ["中华人民共和国海关进口货物报关单", "Commercial Invoice No. INV-2026-00417",
         "集装箱号 MSCU1234565  毛重 12,450.00 KG", "Port of Loading: Hamburg", "合计 USD 84,000.00 CIF Shanghai"]


@pytest.fixture(scope="session")
def ocr_engine(xray_registry) -> OcrEngine:
    return OcrEngine.from_registry(xray_registry, workers=2, intra_op_threads=1)


@pytest.fixture(scope="session")
def page() -> np.ndarray:
    return render_text_page(LINES, size=30)


def _texts(page_text) -> list[str]:
    return [line.text for line in page_text.lines]


def test_reads_a_zh_and_en_page_in_reading_order(ocr_engine, page):
    result = ocr_engine.read_image(page)
    assert result.source == "ocr" and result.angle == 0.0 and (result.width, result.height) == (1240, 1754)
    assert char_accuracy("\n".join(_texts(result)), "\n".join(LINES)) > 0.97
    assert _texts(result)[0] == LINES[0] and "INV-2026-00417" in _texts(result)[1]
    for line in result.lines:
        x1, y1, x2, y2 = line.bbox
        assert 0 <= x1 < x2 <= 1240 and 0 <= y1 < y2 <= 1754 and 0.5 <= line.confidence <= 1.0
    assert [line.bbox[1] for line in result.lines] == sorted(line.bbox[1] for line in result.lines)


@pytest.mark.parametrize(("turn", "skew", "expected"), [(1, 0.0, -90.0), (2, 0.0, 180.0), (3, 4.0, 94.0)])
def test_turned_and_skewed_photos_are_read_upright(ocr_engine, page, turn, skew, expected):
    photo = np.ascontiguousarray(np.rot90(page, k=turn))  # k quarter turns counter-clockwise
    if skew:
        h, w = photo.shape[:2]
        photo = cv2.warpAffine(photo, cv2.getRotationMatrix2D((w / 2, h / 2), -skew, 1.0), (w, h),
                               borderValue=(255, 255, 255))
    result = ocr_engine.read_image(photo)
    assert result.angle == pytest.approx(expected, abs=1.0)
    assert result.height > result.width  # upright A4
    assert char_accuracy("\n".join(_texts(result)), "\n".join(LINES)) > 0.95


def test_a_text_layer_pdf_takes_the_text_layer_path(ocr_engine):
    pdf = text_pdf([[(72, 72, 14, "Commercial Invoice No. INV-2026-00417"), (72, 100, 11, "Total USD 84,000.00")],
                    [(72, 72, 11, "Packing list page two, gross weight 12,450 KG")]])
    document = ocr_engine.read_document(pdf, filename="invoice.pdf", settings=Settings(_env_file=None))
    assert document.media_type == "application/pdf"
    assert [p.source for p in document.pages] == ["text_layer", "text_layer"]
    assert _texts(document.pages[0]) == ["Commercial Invoice No. INV-2026-00417", "Total USD 84,000.00"]
    assert [line.confidence for line in document.pages[1].lines] == [1.0]


def test_a_scanned_pdf_takes_the_ocr_path(ocr_engine, page):
    buffer = io.BytesIO()
    Image.fromarray(page[:, :, ::-1]).save(buffer, format="PDF", resolution=150)
    document = ocr_engine.read_document(buffer.getvalue(), filename="scan.pdf", settings=Settings(_env_file=None))
    (scanned,) = document.pages
    assert scanned.source == "ocr"
    assert char_accuracy(scanned.text, "\n".join(LINES)) > 0.95
    assert scanned.width == pytest.approx(1240 * 200 / 150, abs=2)  # rasterised at the intake DPI


def test_a_blank_page_has_no_lines(ocr_engine):
    assert ocr_engine.read_image(np.full((800, 600, 3), 255, np.uint8)).lines == []
