"""The model kinds this program serves and trains: one explicit line per kind (docs/architecture.md).

The shared lifecycle (promotion, training runs) receives this registry; it never imports a kind itself."""

from __future__ import annotations

from smartinspect.lifecycle.kinds import KindRegistry
from smartinspect.wood.kind import WOOD
from smartinspect.xray.kind import XRAY

KINDS = KindRegistry([XRAY, WOOD])
