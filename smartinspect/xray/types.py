"""Typed results of X-ray analysis. Internal dataclasses; the HTTP edge converts them to pydantic schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Verdict(StrEnum):
    CLEAR = "CLEAR"
    REVIEW = "REVIEW"
    INSPECT = "INSPECT"


@dataclass
class Detections:
    """Boxes in pixel coordinates of one image (or tile).

    boxes: (N, 4) float32 x1, y1, x2, y2; scores: (N,) float32; class_ids: (N,) int64.
    """

    boxes: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.scores = np.asarray(self.scores, dtype=np.float32).reshape(-1)
        self.class_ids = np.asarray(self.class_ids, dtype=np.int64).reshape(-1)
        n = len(self.boxes)
        if len(self.scores) != n or len(self.class_ids) != n:
            msg = f"Detections: {n} boxes but {len(self.scores)} scores and {len(self.class_ids)} class ids"
            raise ValueError(msg)

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0))

    @classmethod
    def concat(cls, parts: list[Detections]) -> Detections:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.boxes for p in parts]),
            np.concatenate([p.scores for p in parts]),
            np.concatenate([p.class_ids for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.boxes)

    def select(self, mask: np.ndarray) -> Detections:
        return Detections(self.boxes[mask], self.scores[mask], self.class_ids[mask])

    def above(self, threshold: float) -> Detections:
        return self.select(self.scores >= threshold)

    def scaled(self, factor: float) -> Detections:
        return Detections(self.boxes * factor, self.scores, self.class_ids)


@dataclass(frozen=True)
class Finding:
    """One detection as reported to users: class, score and box in image pixels and in millimetres."""

    class_name: str
    score: float
    box: tuple[float, float, float, float]
    box_mm: tuple[float, float, float, float]


@dataclass(frozen=True)
class Reason:
    """Why a verdict was given: a stable code, a sentence, and the evidence (class, score, area...)."""

    code: str
    message: str
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EmptyCheck:
    """Empty-container verification: is there content inside the container?"""

    container_found: bool
    content_seen: bool
    content_fraction: float  # share of interior pixels denser than an empty container
    interior_box: tuple[int, int, int, int] | None
    declared_empty: bool | None

    @property
    def mismatch(self) -> bool:
        return bool(self.declared_empty) and self.content_seen


@dataclass(frozen=True)
class AnomalyCheck:
    """The site-normal anomaly model's view of the scan's cargo space (``smartinspect.anomaly``).

    score / threshold: image anomaly score and the site's calibrated threshold (anomalous: score >= threshold).
    region: (x1, y1, x2, y2) scan pixels of the most unusual blob; region_score: its peak over the threshold.
    heatmap: where the heatmap lies on the scan and its cells: ``origin`` [x, y] and ``stride`` in scan pixels,
    ``shape`` [h, w], ``png_base64`` (``smartinspect.anomaly.overlay.encode_heatmap``).
    """

    model_name: str
    model_version: str
    site: str
    score: float
    threshold: float
    anomalous: bool
    region: tuple[int, int, int, int]
    region_score: float
    heatmap: dict


@dataclass(frozen=True)
class ScanAnalysis:
    """What the X-ray service concludes about one scan: the typed result handed to clearance."""

    verdict: Verdict
    reasons: tuple[Reason, ...]
    findings: tuple[Finding, ...]
    empty_check: EmptyCheck
    model_name: str
    model_version: str
    width: int
    height: int
    timings_ms: dict[str, float]
    anomaly: AnomalyCheck | None = None  # None: no anomaly model for the scanner's site
