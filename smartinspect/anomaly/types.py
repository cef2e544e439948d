"""Typed results and settings of the anomaly model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class AnomalyInputError(ValueError):
    """An image the anomaly model cannot use (unreadable, wrong mode, too small...). ``code``: a stable key."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AnomalyPackageError(ValueError):
    """A model package that is incomplete or inconsistent (missing file, sha256 mismatch, bad params)."""


# The analysis windows a package may be fitted on (smartinspect.xray.preprocess.to_model_input). "material" is the
# detector's (linear window, local contrast, dual-energy ratio): a package whose features come from the detector's
# backbone uses it; the anomaly model reads one energy, so its ratio channel is neutral grey.
INPUT_MODES = ("gray", "multiwindow", "material")


@dataclass(frozen=True)
class ViewParams:
    """How a scan becomes the network's input (stored in the package's manifest ``params``).

    scale: model pixels per input pixel (0.5: a 5 mm/px scan is scored at 10 mm/px).
    fit_pitch_mm: the pitch of the images the model was fitted on, if known; a scan at another known pitch is
    resampled to match. window: attenuation mapped to black. pad_multiple: the network's deepest stride. input_mode: the
    analysis windows on the three input channels. crop: "cargo" scores only the container's interior (found by the
    X-ray kind's empty-container check; the whole image when no container is found), "none" the whole image.
    """

    scale: float = 0.5
    window: float = 8.0
    fit_pitch_mm: float | None = None
    pad_multiple: int = 16
    input_mode: str = "multiwindow"  # smartinspect.xray.preprocess.to_model_input modes (INPUT_MODES)
    crop: str = "none"

    def __post_init__(self) -> None:
        if self.crop not in ("none", "cargo"):
            raise AnomalyPackageError(f"crop must be 'none' or 'cargo', got {self.crop!r}")
        if self.input_mode not in INPUT_MODES:
            raise AnomalyPackageError(f"input_mode must be one of {', '.join(INPUT_MODES)}, got {self.input_mode!r}")
        if not 0.05 <= self.scale <= 4.0:
            raise AnomalyPackageError(f"scale must be in [0.05, 4], got {self.scale}")
        if not 0.5 <= self.window <= 12.0:
            raise AnomalyPackageError(f"window must be an attenuation in [0.5, 12], got {self.window}")
        if self.pad_multiple < 1:
            raise AnomalyPackageError(f"pad_multiple must be >= 1, got {self.pad_multiple}")


@dataclass(frozen=True)
class ScoreParams:
    """How patch distances become an image score. ``top_k``: the image score is the mean of the k highest
    (smoothed) patch scores; ``smooth_sigma``: Gaussian smoothing of the patch map, in patch cells."""

    top_k: int = 1
    smooth_sigma: float = 1.0
    threshold: float = float("inf")  # image score at the calibrated false-alarm rate
    false_alarm_rate: float = 0.05

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise AnomalyPackageError(f"top_k must be >= 1, got {self.top_k}")
        if self.smooth_sigma < 0:
            raise AnomalyPackageError(f"smooth_sigma must be >= 0, got {self.smooth_sigma}")


@dataclass(frozen=True)
class AnomalyResult:
    """One scan's anomaly verdict.

    score: image anomaly score (k-NN feature distance; higher = more anomalous). anomalous: score >= threshold.
    heatmap: (h, w) float32 patch scores divided by the threshold (>= 1: as unusual as an anomalous scan), on a
    grid of ``heatmap_stride`` input pixels per cell. region: (x1, y1, x2, y2) input pixels of the most anomalous
    region (x2, y2 exclusive); region_score: its peak patch score over the threshold.
    """

    score: float
    anomalous: bool
    threshold: float
    heatmap: np.ndarray
    heatmap_stride: float
    region: tuple[int, int, int, int]
    region_score: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    heatmap_origin: tuple[int, int] = (0, 0)  # input pixels of the heatmap's first cell (a cargo crop's corner)

    def heatmap_image(self, width: int, height: int) -> np.ndarray:
        """The heatmap on the input image's grid: (height, width) float32, 0 outside the part that was scored."""
        import cv2

        x0, y0 = self.heatmap_origin
        full = np.zeros((height, width), np.float32)
        w = min(width - x0, int(round(self.heatmap.shape[1] * self.heatmap_stride)))
        h = min(height - y0, int(round(self.heatmap.shape[0] * self.heatmap_stride)))
        if w > 0 and h > 0:
            size = (int(round(self.heatmap.shape[1] * self.heatmap_stride)),
                    int(round(self.heatmap.shape[0] * self.heatmap_stride)))
            full[y0:y0 + h, x0:x0 + w] = cv2.resize(self.heatmap, size, interpolation=cv2.INTER_LINEAR)[:h, :w]
        return full
