"""How each finding source shows up in expert review: one explicit line per source, handed to review/ by the
routers (review never imports a kind)."""

from __future__ import annotations

from smartinspect.documents.review import DOCUMENT_CASES
from smartinspect.review.sources import CaseSources
from smartinspect.wood.review import WOOD_CASES
from smartinspect.xray.review import XRAY_CASES

CASE_SOURCES = CaseSources([XRAY_CASES, WOOD_CASES, DOCUMENT_CASES])
