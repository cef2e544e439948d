"""Document intake: formats, limits and every kind of bad input, with the error code and HTTP status."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from pdf_samples import encrypted_pdf, text_pdf, zero_page_pdf
from PIL import Image

from smartinspect.ocr.intake import DocumentRejected, IntakeLimits, open_document, sniff_format

LIMITS = IntakeLimits(max_bytes=2_000_000, max_pages=3, max_page_pixels=4_000_000, pdf_dpi=100)


def _image_bytes(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with almost no data (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b"")


def _scanned_pdf(pages: int) -> bytes:
    images = [Image.new("RGB", (400, 560), "white") for _ in range(pages)]
    return _image_bytes(images[0], "PDF", save_all=True, append_images=images[1:], resolution=72)


PNG = _image_bytes(Image.new("RGB", (120, 80), "white"), "PNG")

BAD_INPUTS = {
    "empty": (b"", "empty_file", 422),
    "random bytes": (np.random.default_rng(0).bytes(5000), "not_a_document", 415),
    "gif": (_image_bytes(Image.new("RGB", (64, 64)), "GIF"), "not_a_document", 415),
    "zip": (b"PK\x03\x04" + bytes(100), "not_a_document", 415),
    "truncated png": (PNG[: len(PNG) // 2], "corrupt_image", 422),
    "png claiming 10^10 pixels": (_png_header_only(100_000, 100_000), "too_many_pixels", 413),
    "png over the page pixel limit": (_image_bytes(Image.new("L", (2100, 2000), 255), "PNG"), "too_many_pixels", 413),
    "tiny image": (_image_bytes(Image.new("L", (20, 20), 255), "PNG"), "image_too_small", 422),
    "broken pdf": (b"%PDF-1.7\n" + np.random.default_rng(1).bytes(3000), "broken_pdf", 422),
    "truncated pdf": (text_pdf([[(72, 72, 12, "Invoice")]])[:60], "broken_pdf", 422),
    "encrypted pdf": (encrypted_pdf(), "encrypted_pdf", 422),
    "zero-page pdf": (zero_page_pdf(), "no_pages", 422),
    "too many pages": (_scanned_pdf(4), "too_many_pages", 422),
    "too many tiff pages": (_image_bytes(Image.new("L", (64, 64), 255), "TIFF", save_all=True,
                                         append_images=[Image.new("L", (64, 64), 255)] * 3), "too_many_pages", 422),
    "over the byte limit": (b"%PDF-1.4\n" + bytes(2_000_001), "payload_too_large", 413),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_rejected_with_a_code_and_status(name):
    data, code, status = BAD_INPUTS[name]
    with pytest.raises(DocumentRejected) as caught:
        open_document(data, limits=LIMITS, filename=f"{name}.bin")
    assert (caught.value.code, caught.value.status) == (code, status), caught.value.message
    assert caught.value.message


def test_a_pdf_page_too_large_even_at_72_dpi_is_refused():
    poster = text_pdf([[(72, 72, 12, "Poster")]], width=72 * 40, height=72 * 40)  # 40 x 40 inches
    with pytest.raises(DocumentRejected) as caught:
        open_document(poster, limits=LIMITS)
    assert (caught.value.code, caught.value.status) == ("too_many_pixels", 413)


def test_large_pdf_pages_render_at_a_lower_dpi_to_fit():
    a3 = text_pdf([[(72, 72, 12, "Large page with text on it")]], width=842, height=1191)
    page = open_document(a3, limits=IntakeLimits(max_page_pixels=2_000_000, pdf_dpi=200)).pages[0]
    assert 1_900_000 < page.image.shape[0] * page.image.shape[1] <= 2_000_000


@pytest.mark.parametrize(("data", "kind"), [(PNG, "png"), (b"\xff\xd8\xff\xe0", "jpeg"), (b"II*\x00", "tiff"),
                                            (b"MM\x00*", "tiff"), (b"junk\n%PDF-1.7", "pdf")])
def test_formats_are_sniffed_from_content(data, kind):
    assert sniff_format(data) == kind


def test_text_layer_pdf_gives_lines_in_page_pixels():
    pdf = text_pdf([[(72, 72, 14, "Commercial Invoice No. INV-2026-00417"), (72, 100, 11, "Seller: Hamburg Tools GmbH"),
                     (350, 100, 11, "Date: 2026-11-02"), (72, 130, 11, "Total USD 84,000.00")]])
    document = open_document(pdf, limits=LIMITS)
    assert document.media_type == "application/pdf" and len(document.pages) == 1
    page = document.pages[0]
    assert page.image.shape[0] == pytest.approx(842 * 100 / 72, abs=1.5)
    assert page.image.shape[1] == pytest.approx(595 * 100 / 72, abs=1.5)
    texts = [line.text for line in page.text_lines]
    assert texts == ["Commercial Invoice No. INV-2026-00417", "Seller: Hamburg Tools GmbH", "Date: 2026-11-02",
                     "Total USD 84,000.00"]  # the wide gap splits a printed line into two, as OCR would
    x1, y1 = page.text_lines[0].polygon[0]
    x2, y2 = page.text_lines[0].polygon[2]
    scale = 100 / 72
    assert x1 == pytest.approx(72 * scale, abs=2) and y1 < 72 * scale < y2  # the baseline is inside the box
    assert page.image[int(y1):int(y2), int(x1):int(x2)].min() < 100  # and the rendered text is there


def test_pdf_without_a_text_layer_is_left_to_ocr():
    document = open_document(_scanned_pdf(2), limits=LIMITS)
    assert [p.text_lines for p in document.pages] == [None, None]
    assert document.pages[0].image.shape[0] == pytest.approx(560 * 100 / 72, abs=1.5)


def test_images_are_decoded_to_bgr_with_transparency_on_white():
    rgba = Image.new("RGBA", (100, 60), (0, 0, 0, 0))
    rgba.paste((255, 0, 0, 255), (10, 10, 30, 30))
    page = open_document(_image_bytes(rgba, "PNG"), limits=LIMITS).pages[0]
    assert page.image.shape == (60, 100, 3)
    assert page.image[0, 0].tolist() == [255, 255, 255] and page.image[20, 20].tolist() == [0, 0, 255]


def test_16_bit_and_multi_page_tiff():
    deep = Image.fromarray(np.full((50, 70), 4000, np.uint16))
    pages = open_document(_image_bytes(deep, "TIFF", save_all=True, append_images=[deep]), limits=LIMITS).pages
    assert len(pages) == 2 and pages[1].index == 1 and pages[0].image.dtype == np.uint8


def test_jpeg_exif_orientation_is_applied():
    image = Image.new("RGB", (200, 100), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    page = open_document(_image_bytes(image, "JPEG", exif=exif), limits=LIMITS).pages[0]
    assert page.image.shape[:2] == (200, 100)
