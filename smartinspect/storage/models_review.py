"""Tables for expert review cases and decisions (issue 6).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0005_review.py``.
"""

from __future__ import annotations

from smartinspect.storage.models import Base  # noqa: F401
