"""Tables for declarations, instructions, rule sets, audit events (issue 5).

Imported at the bottom of ``smartinspect.storage.models`` so ``Base.metadata`` is complete; the matching
migration is ``migrations/versions/0002_clearance.py``.
"""

from __future__ import annotations

from smartinspect.storage.models import Base  # noqa: F401
