"""PDFs through PDFium (pypdfium2): open, check, rasterise, and read the text layer when a page has one.

Text-layer lines are built from the characters' boxes: PDFium's generated line breaks split lines, and a
horizontal gap wider than ``GAP_FACTOR`` times the line height splits a line into segments (table cells,
label and value), which is how the OCR path cuts lines too. Coordinates are converted to pixels of the page
rendered at the intake DPI, so both paths give boxes on the same page image.
"""

from __future__ import annotations

import re

import numpy as np

from smartinspect.domain.reasons import client_reason
from smartinspect.ocr.intake import DocumentRejected, IntakeLimits, IntakePage, check_page_count, check_page_pixels
from smartinspect.ocr.types import OcrLine

GAP_FACTOR = 1.2
_LINE_BREAKS = {"\r", "\n"}


def open_pdf(data: bytes, *, limits: IntakeLimits) -> list[IntakePage]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise _load_failure(data, exc) from exc
    try:
        check_page_count(len(document), limits)
        check_pixel_budget(document, limits)
        return [_read_page(document, index, limits) for index in range(len(document))]
    except DocumentRejected:
        raise
    except Exception as exc:  # a page PDFium could not parse or render
        message = f"the PDF cannot be read ({type(exc).__name__}: {client_reason(exc)})"
        raise DocumentRejected("broken_pdf", message, 422) from exc
    finally:
        document.close()


def check_pixel_budget(document, limits: IntakeLimits) -> None:
    """Every page's size from the page tree (no page is loaded or rendered), at the scale it would be rendered:
    over the document's pixel budget, refuse (413) before any memory is spent on bitmaps (a PDF bomb: a few KB
    of blank pages of 5000 x 5000 pt would otherwise be rasterised page after page)."""
    total = 0
    for index in range(len(document)):
        width_pt, height_pt = document.get_page_size(index)
        if not (width_pt > 0 and height_pt > 0):
            raise DocumentRejected("broken_pdf", f"page {index + 1} has an empty page box", 422)
        scale = _render_scale(width_pt, height_pt, limits, index=index)
        total += int(width_pt * scale) * int(height_pt * scale)
        if total > limits.max_total_pixels:
            msg = (f"the PDF's pages add up to more than {limits.max_total_pixels} pixels at "
                   f"{limits.pdf_dpi} DPI (over the budget at page {index + 1} of {len(document)}); split it")
            raise DocumentRejected("too_many_pixels", msg, 413)


def _load_failure(data: bytes, exc: Exception) -> DocumentRejected:
    # PDFium's error code can be stale (it is only set by some failures), so the bytes decide the reason.
    if b"/Encrypt" in data:
        return DocumentRejected("encrypted_pdf", "the PDF is encrypted with a password; send it unprotected", 422)
    if re.search(rb"/Count\s+0\b", data) and not re.search(rb"/Type\s*/Page\b", data):
        return DocumentRejected("no_pages", "the document has no pages", 422)
    return DocumentRejected("broken_pdf", f"the PDF cannot be read ({client_reason(exc)})", 422)


def _read_page(document, index: int, limits: IntakeLimits) -> IntakePage:
    page = document[index]
    try:
        left, bottom, right, top = page.get_cropbox()
        width_pt, height_pt = right - left, top - bottom
        if width_pt <= 0 or height_pt <= 0:
            raise DocumentRejected("broken_pdf", f"page {index + 1} has an empty page box", 422)
        scale = _render_scale(width_pt, height_pt, limits, index=index)
        bitmap = page.render(scale=scale, rev_byteorder=False, fill_color=(255, 255, 255, 255))
        image = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])  # BGRx -> BGR
        check_page_pixels(image.shape[1], image.shape[0], limits, index=index)
        lines = None
        if page.get_rotation() == 0:  # rotated pages: the char boxes are in the unrotated frame; OCR instead
            textpage = page.get_textpage()
            try:
                lines = text_layer_lines(textpage, scale=scale, origin=(left, top),
                                         min_chars=limits.text_layer_min_chars)
            finally:
                textpage.close()
        return IntakePage(index, image, lines)
    finally:
        page.close()


def _render_scale(width_pt: float, height_pt: float, limits: IntakeLimits, *, index: int) -> float:
    """Points -> pixels at the intake DPI, lowered for very large pages so they fit the pixel limit (>= 72 DPI)."""
    scale = limits.pdf_dpi / 72.0
    pixels = width_pt * height_pt * scale * scale
    if pixels > limits.max_page_pixels:
        scale *= (limits.max_page_pixels / pixels) ** 0.5 * 0.999
        if scale < 1.0:
            msg = (f"page {index + 1} is {width_pt / 72:.1f} x {height_pt / 72:.1f} inches; even at 72 DPI it is "
                   f"over the limit of {limits.max_page_pixels} pixels")
            raise DocumentRejected("too_many_pixels", msg, 413)
    return scale


def text_layer_lines(textpage, *, scale: float, origin: tuple[float, float], min_chars: int) -> list[OcrLine] | None:
    """Lines from a page's text layer, or None when it has fewer than ``min_chars`` visible characters."""
    import pypdfium2.raw as pdfium_c

    count = textpage.count_chars()
    chars: list[tuple[str, tuple[float, float, float, float] | None]] = []
    visible = 0
    for i in range(count):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
        if char in _LINE_BREAKS or char.isspace():
            chars.append((char, None))
            continue
        box = textpage.get_charbox(i, loose=True)  # (left, bottom, right, top), font height: like OCR boxes
        chars.append((char, box))
        visible += 1
    if visible < min_chars:
        return None
    return [_to_line(segment, scale, origin) for segment in _segments(chars)]


def _segments(chars: list) -> list[list]:
    """Split the character stream into lines (at line breaks) and segments (at wide gaps)."""
    segments: list[list] = []
    current: list = []
    last_box = None
    for char, box in chars:
        if char in _LINE_BREAKS:
            if current:
                segments.append(current)
            current, last_box = [], None
            continue
        if box is None:  # a space: kept inside a segment, never starts one
            if current:
                current.append((char, None))
            continue
        if last_box is not None:
            height = max(box[3] - box[1], last_box[3] - last_box[1], 1e-3)
            if box[0] - last_box[2] > GAP_FACTOR * height or box[2] < last_box[0]:  # wide gap, or going back
                segments.append(current)
                current = []
        current.append((char, box))
        last_box = box
    if current:
        segments.append(current)
    return segments


def _to_line(segment: list, scale: float, origin: tuple[float, float]) -> OcrLine:
    boxes = np.array([box for _, box in segment if box is not None], dtype=np.float64)
    text = "".join(char for char, _ in segment).strip()
    text = " ".join(text.split())  # runs of spaces from the layout collapse, as OCR reads them
    left, top_origin = origin
    x1 = (boxes[:, 0].min() - left) * scale
    x2 = (boxes[:, 2].max() - left) * scale
    y1 = (top_origin - boxes[:, 3].max()) * scale
    y2 = (top_origin - boxes[:, 1].min()) * scale
    x1, x2, y1, y2 = float(x1), float(x2), float(y1), float(y2)
    return OcrLine(text, 1.0, ((x1, y1), (x2, y1), (x2, y2), (x1, y2)))
