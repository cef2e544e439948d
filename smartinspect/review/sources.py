"""How a finding source (a model kind) shows up in expert review. Each kind implements ``CaseSource`` in its own
package (``smartinspect/<kind>/review.py``); ``smartinspect/kinds.py`` lists them in ``CASE_SOURCES``, which the
API hands to review. Review itself never branches on the source's name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from smartinspect.review.evidence import CaseEvidence
    from smartinspect.review.labels import ExampleSpec
    from smartinspect.review.types import DecisionInput
    from smartinspect.storage.models import ClearanceFinding
    from smartinspect.storage.models_clearance import Instruction


@runtime_checkable
class CaseSource(Protocol):
    source: str  # the finding source it serves (smartinspect.domain.clearance.FindingSource)
    accepts_boxes: bool  # whether a decision may carry corrected boxes
    accepts_fields: bool  # whether a decision may carry corrected document fields

    def load(self, db: Session, instruction: Instruction, finding: ClearanceFinding | None) -> dict[str, Any]:
        """The ``CaseEvidence`` fields this source fills (its evidence and a note when it is not available)."""
        ...

    def example(self, evidence: CaseEvidence, decision: DecisionInput, *,
                classes: tuple[str, ...]) -> ExampleSpec | None:
        """The labelled example a decision teaches, or None when the images are not here. Raises LabelRefused."""
        ...

    def focus(self, evidence: CaseEvidence, decision: DecisionInput) -> dict[str, Any]:
        """What an escalated physical inspection should look at (boxes, sample, fields)."""
        ...


class CaseSources:
    """The program's case sources by finding source, from an explicit list."""

    def __init__(self, sources: Iterable[CaseSource]) -> None:
        self._by_source: dict[str, CaseSource] = {}
        for s in sources:
            if not isinstance(s, CaseSource):
                raise TypeError(f"{s!r} does not implement CaseSource (smartinspect.review.sources)")
            if s.source in self._by_source:
                raise ValueError(f"finding source {s.source!r} has two case sources")
            self._by_source[s.source] = s

    def get(self, source: str | None) -> CaseSource | None:
        return self._by_source.get(source or "")
