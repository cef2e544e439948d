"""A PDF bomb (a few KB of huge blank pages) is refused from its page tree, before any page is rendered."""

from __future__ import annotations

import io
import resource
import time

import pytest

from smartinspect.ocr.intake import DocumentRejected, IntakeLimits, open_document


def pdf_with_pages(count: int, width_pt: float, height_pt: float) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for _ in range(count):
        document.new_page(width_pt, height_pt).close()
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def test_the_pdf_bomb_is_refused_in_under_1_s_without_memory_growth():
    bomb = pdf_with_pages(20, 5000, 5000)
    assert len(bomb) < 8_000  # a few KB on the wire
    peak_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with pytest.raises(DocumentRejected) as refused:
        open_document(bomb, limits=IntakeLimits())
    elapsed = time.perf_counter() - started
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before_kb) / 1024
    assert refused.value.status == 413 and refused.value.code == "too_many_pixels"
    assert "page 5 of 20" in refused.value.message  # stopped counting as soon as the budget was passed
    assert elapsed < 1.0 and growth_mb < 200, (elapsed, growth_mb)


def test_ordinary_pages_within_the_budget_still_render():
    pages = open_document(pdf_with_pages(2, 595, 842), limits=IntakeLimits()).pages  # two blank A4 pages
    assert len(pages) == 2 and pages[0].image.shape[:2] == (round(842 * 200 / 72), round(595 * 200 / 72))
