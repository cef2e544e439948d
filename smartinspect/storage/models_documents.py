"""Tables for uploaded documents, pages and extractions (issue 3).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0003_documents.py``.
"""

from __future__ import annotations

from smartinspect.storage.models import Base  # noqa: F401
