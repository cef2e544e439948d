"""Tables for wood screenings (issue 4).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0004_wood.py``.
"""

from __future__ import annotations

from smartinspect.storage.models import Base  # noqa: F401
