"""Text detection: PP-OCR's DB (differentiable binarisation) model on the shared ONNX Runtime layer.

``detect_text`` resizes the page so its longest side is at most ``max_side`` (multiples of 32), runs the model
once and turns the probability map into rotated line boxes. Our post-processing follows PaddleOCR's
``DBPostProcess`` except the unclip: for a rectangle, offsetting by ``d`` with round joins and taking the
minimum-area rectangle again is the rectangle grown by ``d`` on every side, so no polygon clipper is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from smartinspect.runtime import LoadedModel

_MEAN = np.float32(0.5 * 255.0)
_SCALE = np.float32(1.0 / (0.5 * 255.0))


@dataclass(frozen=True)
class DetParams:
    """DB detection settings (from the det manifest's ``params``)."""

    max_side: int = 960  # longest side of the model input, px (PaddleOCR's default); pages are shrunk to fit
    min_side: int = 64  # shortest side of the model input, px; tiny images are enlarged up to this
    thresh: float = 0.3  # probability that makes a pixel "text"
    box_thresh: float = 0.5  # mean probability inside a box to keep it
    unclip_ratio: float = 1.6  # how far a shrunk text kernel is grown back (PaddleOCR's convention)
    max_candidates: int = 1000
    min_size: float = 3.0  # boxes thinner than this (model-input px) are noise

    @classmethod
    def from_manifest(cls, params: dict[str, Any]) -> DetParams:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**known)


@dataclass(frozen=True)
class TextBoxes:
    """Detected lines: ``boxes`` (N, 4, 2) float32 corners tl, tr, br, bl in page pixels; ``scores`` (N,)."""

    boxes: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)

    @classmethod
    def empty(cls) -> TextBoxes:
        return cls(np.zeros((0, 4, 2), np.float32), np.zeros((0,), np.float32))


def input_size(height: int, width: int, params: DetParams) -> tuple[int, int]:
    """The model input (height, width) for a page: longest side <= max_side, multiples of 32."""
    scale = min(1.0, params.max_side / max(height, width))
    if min(height, width) * scale < params.min_side:
        scale = min(params.min_side / min(height, width), 2.0 * params.max_side / max(height, width))
    new_h = max(32, round(height * scale / 32.0) * 32)
    new_w = max(32, round(width * scale / 32.0) * 32)
    return new_h, new_w


def to_det_input(image_bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 BGR -> (1, 3, h, w) float32 in [-1, 1] at ``size`` = (h, w)."""
    resized = cv2.resize(image_bgr, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    chw = resized.transpose(2, 0, 1).astype(np.float32)
    chw -= _MEAN
    chw *= _SCALE
    return chw[np.newaxis]


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four corners in the order top-left, top-right, bottom-right, bottom-left (image axes, y down)."""
    by_x = points[np.argsort(points[:, 0], kind="stable")]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1], kind="stable")]
    tr, br = right[np.argsort(right[:, 1], kind="stable")]
    return np.array([tl, tr, br, bl], dtype=np.float32)


def box_score(prob: np.ndarray, corners: np.ndarray) -> float:
    """Mean probability inside the quadrilateral ``corners`` (model-input px)."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(corners[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(corners[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(corners[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(corners[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
    shifted = (corners - np.array([x0, y0], dtype=np.float32)).astype(np.int32)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2), 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def unclip_rect(rect: tuple, ratio: float) -> tuple:
    """Grow a rotated rect ((cx, cy), (w, h), angle) by d = area * ratio / perimeter on every side."""
    (cx, cy), (w, h), angle = rect
    distance = w * h * ratio / (2.0 * (w + h)) if w + h > 0 else 0.0
    return (cx, cy), (w + 2 * distance, h + 2 * distance), angle


def boxes_from_probability(prob: np.ndarray, params: DetParams, *, out_size: tuple[int, int]) -> TextBoxes:
    """DB post-processing. ``prob``: (h, w) text probability at model resolution; ``out_size``: page (H, W).

    Returns boxes in page pixels, clipped to the page, with their mean probability as the score.
    """
    bitmap = (prob > params.thresh).astype(np.uint8)
    bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))  # PaddleOCR's use_dilation: joins broken strokes
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    h, w = prob.shape
    out_h, out_w = out_size
    scale = np.array([out_w / w, out_h / h], dtype=np.float32)
    boxes, scores = [], []
    for contour in contours[: params.max_candidates]:
        rect = cv2.minAreaRect(contour)
        if min(rect[1]) < params.min_size:
            continue
        score = box_score(prob, cv2.boxPoints(rect))
        if score < params.box_thresh:
            continue
        grown = unclip_rect(rect, params.unclip_ratio)
        if min(grown[1]) < params.min_size + 2:
            continue
        corners = order_corners(cv2.boxPoints(grown)) * scale
        corners[:, 0] = np.clip(np.round(corners[:, 0]), 0, out_w - 1)
        corners[:, 1] = np.clip(np.round(corners[:, 1]), 0, out_h - 1)
        if np.linalg.norm(corners[0] - corners[1]) <= 3 or np.linalg.norm(corners[0] - corners[3]) <= 3:
            continue
        boxes.append(corners)
        scores.append(score)
    if not boxes:
        return TextBoxes.empty()
    return TextBoxes(np.stack(boxes).astype(np.float32), np.array(scores, dtype=np.float32))


class TextDetector:
    """The DB detector: page in, line boxes out (pre-process, forward, post-process)."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.params = DetParams.from_manifest(loaded.spec.params)

    def detect(self, image_bgr: np.ndarray) -> TextBoxes:
        """``image_bgr``: (H, W, 3) uint8. Boxes are in the same image's pixels."""
        height, width = image_bgr.shape[:2]
        size = input_size(height, width, self.params)
        (prob,) = self.model.run(to_det_input(image_bgr, size))[:1]
        return boxes_from_probability(prob[0, 0], self.params, out_size=(height, width))
