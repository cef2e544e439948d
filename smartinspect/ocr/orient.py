"""Page orientation: which way up the page is, and how much it is skewed.

- Quarter turns: detected lines are long and thin; when most of their length runs closer to vertical than to
  horizontal, the page lies on its side and is turned 90 degrees (the line boxes are turned with it: no second
  detection pass).
- Skew: the length-weighted median angle of the lines; the page is rotated back when it is over ``min_skew``.
- Upside down: PP-OCR's 0/180 line classifier votes over the widest lines; when the (confidence-weighted)
  majority says 180, the page is turned over.
Every step maps the boxes with the same affine transform as the image, so boxes stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from smartinspect.ocr.detect import order_corners
from smartinspect.runtime import LoadedModel

_MEAN = np.float32(127.5)
_SCALE = np.float32(1.0 / 127.5)


@dataclass(frozen=True)
class ClsParams:
    """Angle classifier settings (from the cls manifest's ``params``)."""

    height: int = 48
    width: int = 192
    labels: tuple[str, ...] = ("0", "180")
    max_votes: int = 24  # lines that vote on the page's 0/180 orientation (the widest ones)
    min_skew: float = 0.5  # degrees; smaller skews are left alone
    max_skew: float = 45.0

    @classmethod
    def from_manifest(cls, params: dict[str, Any]) -> ClsParams:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        if "labels" in known:
            known["labels"] = tuple(known["labels"])
        return cls(**known)


def line_angles(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (N, 4, 2) boxes: the angle of each box's long side in degrees, in [-90, 90), and its length.

    0 is horizontal; +/-90 is vertical. Image axes (y down): a positive angle slopes downwards to the right.
    """
    top = boxes[:, 1] - boxes[:, 0]
    side = boxes[:, 3] - boxes[:, 0]
    top_len = np.linalg.norm(top, axis=1)
    side_len = np.linalg.norm(side, axis=1)
    long_vec = np.where((top_len >= side_len)[:, None], top, side)
    angles = np.degrees(np.arctan2(long_vec[:, 1], long_vec[:, 0]))
    angles = (angles + 90.0) % 180.0 - 90.0
    return angles, np.maximum(top_len, side_len)


def _elongated(boxes: np.ndarray, min_aspect: float = 2.0) -> np.ndarray:
    top = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    side = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
    return np.maximum(top, side) >= min_aspect * np.maximum(np.minimum(top, side), 1.0)


def lies_on_its_side(boxes: np.ndarray) -> bool:
    """True when most of the (elongated) line length runs closer to vertical than horizontal."""
    if len(boxes) == 0:
        return False
    keep = _elongated(boxes)
    if not keep.any():
        return False
    angles, lengths = line_angles(boxes[keep])
    vertical = np.abs(angles) > 45.0
    return float(lengths[vertical].sum()) > float(lengths[~vertical].sum())


def estimate_skew(boxes: np.ndarray) -> float:
    """Length-weighted median angle (degrees) of the elongated, roughly horizontal lines; 0 when none."""
    if len(boxes) == 0:
        return 0.0
    keep = _elongated(boxes)
    angles, lengths = line_angles(boxes[keep])
    near = np.abs(angles) < 45.0
    angles, lengths = angles[near], lengths[near]
    if len(angles) == 0:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(lengths[order])
    return float(angles[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def rotation_matrix(angle_deg: float, width: int, height: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine 2x3 matrix rotating an image by ``angle_deg`` (counter-clockwise) onto a canvas that holds it all.

    Returns the matrix and the new (width, height).
    """
    matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = round(height * sin + width * cos)
    new_h = round(height * cos + width * sin)
    matrix[0, 2] += new_w / 2.0 - width / 2.0
    matrix[1, 2] += new_h / 2.0 - height / 2.0
    return matrix, (new_w, new_h)


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a 2x3 affine ``matrix`` to (N, 4, 2) boxes; corners re-ordered tl, tr, br, bl in the new frame."""
    if len(boxes) == 0:
        return boxes
    points = boxes.reshape(-1, 2) @ matrix[:, :2].T + matrix[:, 2]
    return np.stack([order_corners(box) for box in points.reshape(-1, 4, 2).astype(np.float32)])


def rotate_image(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(255, 255, 255))


class AngleClassifier:
    """PP-OCR's 0/180 text-line classifier."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.params = ClsParams.from_manifest(loaded.spec.params)

    def upside_down_vote(self, crops: list[np.ndarray]) -> float:
        """Confidence-weighted share of the widest crops that read as upside down, in [0, 1]."""
        if not crops:
            return 0.0
        widest = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1])[: self.params.max_votes]
        (probs,) = self.model.run(self._batch([crops[i] for i in widest]))[:1]
        flipped = self.params.labels.index("180")
        weights = np.array([min(crops[i].shape[1] / max(crops[i].shape[0], 1), 20.0) for i in widest])
        return float((probs[:, flipped] * weights).sum() / weights.sum())

    def _batch(self, crops: list[np.ndarray]) -> np.ndarray:
        p = self.params
        batch = np.zeros((len(crops), 3, p.height, p.width), dtype=np.float32)
        for slot, crop in enumerate(crops):
            h, w = crop.shape[:2]
            width = int(min(p.width, max(1, np.ceil(p.height * w / max(h, 1)))))
            resized = cv2.resize(crop, (width, p.height), interpolation=cv2.INTER_LINEAR)
            chw = resized.transpose(2, 0, 1).astype(np.float32)
            chw -= _MEAN
            chw *= _SCALE
            batch[slot, :, :, :width] = chw
        return batch
