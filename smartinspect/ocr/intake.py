"""Document intake: sniff the file type, enforce the limits, and turn the file into page images.

PDF pages are rasterised with PDFium (pypdfium2) at a fixed DPI; a page with a text layer also gets its lines
from that layer (``textlayer.py``), and is not OCR'd. Images (PNG, JPEG, TIFF incl. multi-page) are decoded
after their header has been checked, so a decompression bomb never allocates. Every failure is a
:class:`DocumentRejected` with a stable code and the HTTP status the API answers with; nothing is stored before
intake has succeeded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, ImageSequence

from smartinspect.domain.reasons import client_reason
from smartinspect.domain.uploads import UploadRejected
from smartinspect.ocr.types import OcrLine

MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "tiff": "image/tiff"}
_PIL_FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "TIFF": "tiff"}


class DocumentRejected(UploadRejected):
    """An upload that cannot be read as a document. ``status``: 413 too large, 415 not a document, 422 unreadable."""


@dataclass(frozen=True)
class IntakeLimits:
    """What an upload may be. Built from Settings (``document_*``)."""

    max_bytes: int = 32 * 1024 * 1024
    max_pages: int = 20
    max_page_pixels: int = 40_000_000
    min_side: int = 32
    pdf_dpi: int = 200
    text_layer_min_chars: int = 16  # fewer real characters than this: the page is treated as a scan
    max_total_pixels: int = 160_000_000  # all pages of a PDF together, checked from the page tree before rendering

    @classmethod
    def from_settings(cls, settings) -> IntakeLimits:
        return cls(max_bytes=settings.document_max_bytes, max_pages=settings.document_max_pages,
                   max_page_pixels=settings.document_max_page_pixels, min_side=settings.min_image_side,
                   pdf_dpi=settings.document_pdf_dpi, text_layer_min_chars=settings.document_text_layer_min_chars,
                   max_total_pixels=settings.document_max_total_pixels)


@dataclass(frozen=True)
class IntakePage:
    """One page: ``image`` (H, W, 3) uint8 BGR, and its text-layer lines when the PDF page has a text layer."""

    index: int
    image: np.ndarray
    text_lines: list[OcrLine] | None = None


@dataclass(frozen=True)
class IntakeDocument:
    media_type: str
    pages: list[IntakePage]


def sniff_format(data: bytes) -> str:
    """'pdf', 'png', 'jpeg' or 'tiff' from the file's first bytes; :class:`DocumentRejected` (415) otherwise."""
    if not data:
        raise DocumentRejected("empty_file", "the uploaded file is empty", 422)
    if b"%PDF-" in data[:1024]:  # the spec tolerates junk before the header
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    raise DocumentRejected("not_a_document", "the file is not a PDF, PNG, JPEG or TIFF document", 415)


def open_document(data: bytes, *, limits: IntakeLimits, filename: str | None = None) -> IntakeDocument:
    """Check and decode an upload into pages. Raises :class:`DocumentRejected`."""
    if len(data) > limits.max_bytes:
        raise DocumentRejected("payload_too_large", f"the file is {len(data)} bytes, over the limit of "
                               f"{limits.max_bytes} bytes", 413)
    kind = sniff_format(data)
    if kind == "pdf":
        from smartinspect.ocr.pdf import open_pdf  # pypdfium2 loads only for PDFs

        pages = open_pdf(data, limits=limits)
    else:
        pages = _open_image(data, kind, limits=limits, filename=filename)
    return IntakeDocument(media_type=MEDIA_TYPES[kind], pages=pages)


def _open_image(data: bytes, kind: str, *, limits: IntakeLimits, filename: str | None) -> list[IntakePage]:
    name = repr(filename) if filename else "the image"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = _PIL_FORMATS.get(image.format or "")
            if fmt != kind:
                raise DocumentRejected("not_a_document", f"{name} looks like {kind} but reads as {image.format}", 415)
            # a JPEG's extra frames (MPO: a phone's depth map or preview) are not pages
            frames = 1 if kind == "jpeg" else getattr(image, "n_frames", 1)
            check_page_count(frames, limits)
            pages = []
            for index, frame in enumerate(ImageSequence.Iterator(image)):
                if index == frames:
                    break
                check_page_pixels(frame.width, frame.height, limits, index=index)
                pages.append(IntakePage(index, to_bgr(frame if kind != "jpeg" else ImageOps.exif_transpose(frame))))
    except DocumentRejected:
        raise
    except Image.DecompressionBombError as exc:  # PIL's own guard, when a caller left it on
        raise DocumentRejected("too_many_pixels", f"{name} is too large to decode ({client_reason(exc)})", 413) from exc
    except Exception as exc:  # PIL raises OSError, ValueError, SyntaxError... for corrupt or truncated files
        raise DocumentRejected("corrupt_image", f"{name} is corrupt or truncated and could not be decoded "
                               f"({type(exc).__name__}: {client_reason(exc)})", 422) from exc
    return pages


def check_page_count(count: int, limits: IntakeLimits) -> None:
    if count < 1:
        raise DocumentRejected("no_pages", "the document has no pages", 422)
    if count > limits.max_pages:
        raise DocumentRejected("too_many_pages", f"the document has {count} pages, over the limit of "
                               f"{limits.max_pages}", 422)


def check_page_pixels(width: int, height: int, limits: IntakeLimits, *, index: int) -> None:
    if width * height > limits.max_page_pixels:
        raise DocumentRejected("too_many_pixels", f"page {index + 1} is {width}x{height} = {width * height} pixels, "
                               f"over the limit of {limits.max_page_pixels}", 413)
    if min(width, height) < limits.min_side:
        raise DocumentRejected("image_too_small", f"page {index + 1} is {width}x{height}; each side must be >= "
                               f"{limits.min_side} px", 422)


def to_bgr(frame: Image.Image) -> np.ndarray:
    """Any PIL mode -> (H, W, 3) uint8 BGR; transparency is flattened onto white, 16-bit is rescaled."""
    if frame.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        values = np.asarray(frame, dtype=np.float32)
        top = float(values.max()) or 1.0
        gray = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        rgb = frame.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
