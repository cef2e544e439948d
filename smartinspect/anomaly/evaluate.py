"""Evaluate an anomaly model on labelled images: AUROC, detection at a false-alarm rate, speed. numpy only."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from smartinspect.anomaly.preprocess import read_attenuation
from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.anomaly.types import AnomalyInputError

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    anomalous: bool  # ground truth: contraband/concealment/threat present


@dataclass(frozen=True)
class AnomalyEvaluation:
    """Scan-level figures. ``detection_at_fa``: share of anomalous images above the score that flags
    ``false_alarm_rate`` of the normal images of this set; ``*_at_threshold``: at the package's calibrated one."""

    images: int
    anomalous_images: int
    auroc: float
    false_alarm_rate: float
    detection_at_fa: float
    detection_at_threshold: float
    false_alarms_at_threshold: float
    seconds_per_image: float
    seconds_per_megapixel: float

    def as_dict(self) -> dict[str, float]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def image_files(folder: Path) -> list[Path]:
    """Scanner images in ``folder`` (not recursive), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AnomalyInputError("not_a_folder", f"{folder} is not a folder of images")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def generator_labels(dataset: Path, split: str) -> list[LabelledImage]:
    """A ``smartinspect datagen xray`` dataset: a scan is anomalous when its YOLO label file has any box
    (firearm, drugs, cigarettes or concealment)."""
    images = image_files(Path(dataset) / "images" / split)
    if not images:
        raise AnomalyInputError("no_images", f"no scans under {Path(dataset) / 'images' / split}")
    labels = Path(dataset) / "labels" / split
    return [LabelledImage(p, bool((labels / f"{p.stem}.txt").read_text().strip())) for p in images]


def mask_labels(images_dir: Path, masks_dir: Path) -> list[LabelledImage]:
    """Images with class-index masks of the same name: anomalous when the mask has any non-zero pixel."""
    out = []
    for path in image_files(images_dir):
        mask_path = Path(masks_dir) / path.name
        mask = cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED)
        if mask is None:
            raise AnomalyInputError("missing_mask", f"no readable mask {mask_path} for {path}")
        out.append(LabelledImage(path, bool(np.any(mask))))
    return out


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def detection_at_false_alarm(scores: np.ndarray, labels: np.ndarray, rate: float) -> float:
    """Share of positives scored above the threshold that at most ``rate`` of the negatives exceed."""
    neg = np.sort(scores[~labels])[::-1]
    if len(neg) == 0 or not labels.any():
        return float("nan")
    allowed = int(np.floor(rate * len(neg)))
    threshold = neg[allowed] if allowed < len(neg) else -np.inf
    return float((scores[labels] > threshold).mean())


def score_images(scorer: AnomalyScorer, items: Iterable[LabelledImage]) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Scores, labels, total seconds and total megapixels (scoring only, decoding excluded)."""
    scores, labels, seconds, megapixels = [], [], 0.0, 0.0
    for item in items:
        attenuation = read_attenuation(item.path)
        start = time.perf_counter()
        scores.append(scorer.score(attenuation).score)
        seconds += time.perf_counter() - start
        megapixels += attenuation.size / 1e6
        labels.append(item.anomalous)
    return np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool), seconds, megapixels


def evaluate_scorer(scorer: AnomalyScorer, items: list[LabelledImage], *, false_alarm_rate: float = 0.10
                    ) -> AnomalyEvaluation:
    """Score every image and summarise (see :class:`AnomalyEvaluation`)."""
    if not items:
        raise AnomalyInputError("no_images", "nothing to evaluate: the labelled set is empty")
    scores, labels, seconds, megapixels = score_images(scorer, items)
    flagged = scores >= scorer.threshold
    return AnomalyEvaluation(
        images=len(items), anomalous_images=int(labels.sum()), auroc=auroc(scores, labels),
        false_alarm_rate=false_alarm_rate,
        detection_at_fa=detection_at_false_alarm(scores, labels, false_alarm_rate),
        detection_at_threshold=float(flagged[labels].mean()) if labels.any() else float("nan"),
        false_alarms_at_threshold=float(flagged[~labels].mean()) if (~labels).any() else float("nan"),
        seconds_per_image=seconds / len(items), seconds_per_megapixel=seconds / max(megapixels, 1e-9),
    )
