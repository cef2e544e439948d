"""Hand-written PDFs for the intake tests: text layers (Helvetica), encryption, zero pages, many pages."""

from __future__ import annotations


def build_pdf(objects: list[bytes], *, trailer_extra: bytes = b"") -> bytes:
    """A PDF from numbered objects (1..n; object 1 must be the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def text_pdf(pages: list[list[tuple[float, float, float, str]]], *, width: float = 595, height: float = 842) -> bytes:
    """Pages of Helvetica text; each item is (x, y from the top, font size, text) in points."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, items in enumerate(pages):
        content = "".join(f"BT /F1 {s} Tf {x} {height - y} Td ({t}) Tj ET\n" for x, y, s, t in items).encode()
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")
    return build_pdf(objects)


def zero_page_pdf() -> bytes:
    return build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def encrypted_pdf() -> bytes:
    """A one-page PDF with a Standard security handler whose (unknown) user password is not empty."""
    encrypt = (b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
               b"/O <" + b"6a" * 32 + b"> /U <" + b"3c" * 32 + b"> >>")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", encrypt]
    return build_pdf(objects, trailer_extra=b"/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff> "
                                             b"<00112233445566778899aabbccddeeff>] ")
