"""Key elements of customs documents: extraction from OCR lines, validation, cross-document verification, the
general invoice profile and their evaluation (docs/documents.md). Serving code: no torch, no training stack."""
