"""What an expert decides and which training task a decision's labelled example feeds (stored by storage/,
used by review/ and the lifecycle's feedback snapshots)."""

from __future__ import annotations

from enum import StrEnum


class DecisionKind(StrEnum):
    confirm = "confirm"  # the finding is real: the review completes with a discrepancy
    clear = "clear"  # nothing wrong: completes with no discrepancy
    escalate = "escalate"  # completes with a discrepancy and issues a physical inspection of the focus area


class LabelTask(StrEnum):
    """The training task a decision's labelled example feeds."""

    xray = "xray"  # full scan + boxes (class, x1, y1, x2, y2 in scan pixels)
    wood = "wood"  # end-grain image + genus
    document = "document"  # page image + fields
