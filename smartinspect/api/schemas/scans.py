"""HTTP shapes of scans. The internal result is :class:`smartinspect.xray.types.ScanAnalysis`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ReasonPublic(BaseModel):
    code: str = Field(description="Stable code, e.g. contraband_detected, declared_empty_not_empty.")
    message: str
    evidence: dict[str, Any] = {}


class FindingPublic(BaseModel):
    class_name: str = Field(description="firearm | drugs | cigarettes | concealment")
    score: float
    box: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in image pixels")
    box_mm: tuple[float, float, float, float] = Field(description="the box in millimetres from the image origin")


class EmptyCheckPublic(BaseModel):
    container_found: bool
    content_seen: bool
    content_fraction: float
    interior_box: tuple[int, int, int, int] | None
    declared_empty: bool | None
    mismatch: bool = Field(description="declared empty but content seen")


class AnomalyHeatmapPublic(BaseModel):
    origin: tuple[float, float] = Field(description="x, y in image pixels of the heatmap's first cell")
    stride: float = Field(description="image pixels per heatmap cell")
    shape: tuple[int, int] = Field(description="cells: height, width")
    png_base64: str = Field(description="8-bit PNG; 0..255 = 0..2x the site's threshold")


class AnomalyPublic(BaseModel):
    model_name: str
    model_version: str
    site: str = Field(description="the site whose normal traffic the model learnt")
    score: float = Field(description="image anomaly score (nearest-normal feature distance); higher is more unusual")
    threshold: float = Field(description="the site's threshold, calibrated at a chosen false-alarm rate")
    anomalous: bool
    region: tuple[int, int, int, int] = Field(description="x1, y1, x2, y2 image pixels of the most unusual region")
    region_score: float = Field(description="the region's peak over the threshold")
    heatmap: AnomalyHeatmapPublic


class ModelRef(BaseModel):
    name: str | None
    version: str | None


class ScanLinks(BaseModel):
    self: str
    overlay: str


class ScanPublic(BaseModel):
    id: str
    status: str = Field(description="received | analysed | failed")
    verdict: str | None = Field(description="CLEAR | REVIEW | INSPECT once analysed")
    reasons: list[ReasonPublic] = []
    findings: list[FindingPublic] = []
    empty_check: EmptyCheckPublic | None = None
    anomaly: AnomalyPublic | None = Field(default=None, description="the site-normal anomaly model's view of the "
                                          "cargo space; null when no anomaly model serves the scanner's site")
    scanner_id: str
    container_no: str
    declaration_no: str | None
    declared_empty: bool | None
    scanned_at: datetime
    pixel_pitch_mm: float
    width: int
    height: int
    bit_depth: int
    channels: int
    dual_energy: bool
    model: ModelRef
    timings_ms: dict[str, float] = {}
    error: str | None = None
    created_at: datetime
    analysed_at: datetime | None
    links: ScanLinks
