"""The model kinds this program trains and promotes: one explicit line per kind (docs/architecture.md).

The shared lifecycle (promotion, training runs) receives ``KINDS``; it never imports a kind itself. Serving does not
import this module (a kind's ``train`` hook reaches its torch-side ``train/`` package); the API wires the kinds'
serving hooks itself (``api/app.py`` routers, ``api/cases.py`` review sources)."""

from __future__ import annotations

from smartinspect.lifecycle.kinds import KindRegistry
from smartinspect.wood.enrolled_kind import WOOD_ENROLLED
from smartinspect.wood.kind import WOOD
from smartinspect.xray.kind import XRAY

KINDS = KindRegistry([XRAY, WOOD, WOOD_ENROLLED])
