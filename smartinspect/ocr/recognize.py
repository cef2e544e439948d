"""Line crops and text recognition: PP-OCR's CTC recogniser, batched.

Speed comes from batching: crops are sorted by aspect ratio and packed into batches whose padded width
(sum over the batch) stays under a budget, so one ONNX Runtime call reads many lines with little padding.
The character set is the one embedded in the model's ONNX metadata (``character``), plus CTC's blank (index 0)
and a trailing space, as PaddleOCR does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from smartinspect.runtime import LoadedModel

_MEAN = np.float32(127.5)
_SCALE = np.float32(1.0 / 127.5)


@dataclass(frozen=True)
class RecParams:
    """Recognition settings (from the rec manifest's ``params``)."""

    height: int = 48  # model input height, px
    min_width: int = 32  # narrow crops are padded to at least this width
    max_width: int = 3200  # very long lines are squeezed to this width
    width_step: int = 16  # padded batch widths are multiples of this
    batch_width_budget: int = 12_000  # sum of padded widths per batch (bounds the (N, T, classes) output)
    max_batch: int = 32
    max_padding: float = 0.15  # a batch closes before padding any crop by more than this fraction
    min_score: float = 0.5  # lines read with a lower mean confidence are dropped (RapidOCR's text_score)

    @classmethod
    def from_manifest(cls, params: dict[str, Any]) -> RecParams:
        known = {k: params[k] for k in cls.__dataclass_fields__ if k in params}
        return cls(**known)


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float


def crop_line(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Perspective-warp the quadrilateral ``corners`` (tl, tr, br, bl) to an upright (h, w, 3) crop."""
    width = int(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3])))
    height = int(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE,
                               flags=cv2.INTER_CUBIC)
    if height >= 1.5 * width:  # a vertical line on an upright page (e.g. a rotated label): read it turned
        crop = np.ascontiguousarray(np.rot90(crop))
    return crop


def resized_width(crop: np.ndarray, params: RecParams) -> int:
    h, w = crop.shape[:2]
    return int(min(params.max_width, max(1, math.ceil(params.height * w / max(h, 1)))))


def plan_batches(widths: list[int], params: RecParams) -> list[list[int]]:
    """Group crop indices into batches of similar width, so padding wastes little compute.

    The recogniser's cost grows with batch x padded width (~linearly), and batching itself saves only ~10-15% per
    column on CPU, so a batch closes as soon as the next crop would pad it by more than ``max_padding``, or it
    reaches ``max_batch`` crops or ``batch_width_budget`` columns.
    """
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        padded = _padded_width(widths[index], params)  # the widest so far: the batch pads to it
        if current:
            narrowest = _padded_width(widths[current[0]], params)
            full = len(current) == params.max_batch or (len(current) + 1) * padded > params.batch_width_budget
            if full or padded > narrowest * (1.0 + params.max_padding):
                batches.append(current)
                current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _padded_width(width: int, params: RecParams) -> int:
    step = params.width_step
    return max(params.min_width, math.ceil(width / step) * step)


def to_rec_batch(crops: list[np.ndarray], widths: list[int], params: RecParams) -> np.ndarray:
    """Crops -> (N, 3, height, W) float32 in [-1, 1], left-aligned, zero (mid-grey) padded to the widest."""
    padded = _padded_width(max(widths), params)
    batch = np.zeros((len(crops), 3, params.height, padded), dtype=np.float32)
    for slot, (crop, width) in enumerate(zip(crops, widths, strict=True)):
        resized = cv2.resize(crop, (width, params.height), interpolation=cv2.INTER_LINEAR)
        chw = resized.transpose(2, 0, 1).astype(np.float32)
        chw -= _MEAN
        chw *= _SCALE
        batch[slot, :, :, :width] = chw
    return batch


def ctc_greedy_decode(probs: np.ndarray, charset: list[str]) -> list[Reading]:
    """CTC greedy decoding of (N, T, C) per-step class probabilities.

    Per step, take the best class; merge repeats; drop blanks (class 0). Confidence is the mean probability of
    the kept steps (0 for an empty reading).
    """
    best = probs.argmax(axis=2)
    best_prob = np.take_along_axis(probs, best[:, :, None], axis=2)[:, :, 0]
    keep = best != 0
    keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    readings = []
    for row in range(best.shape[0]):
        indices = best[row][keep[row]]
        text = "".join(charset[i] for i in indices)
        confidence = float(best_prob[row][keep[row]].mean()) if len(indices) else 0.0
        readings.append(Reading(text, confidence))
    return readings


def charset_from_metadata(metadata: dict[str, str]) -> list[str]:
    """PaddleOCR's convention: blank, then the model's characters (one per line), then a space."""
    if "character" not in metadata:
        raise ValueError("the recognition model has no 'character' list in its ONNX metadata; "
                         f"metadata keys: {sorted(metadata)}")
    return ["<blank>", *metadata["character"].splitlines(), " "]


class TextRecognizer:
    """Batched CTC recognition of line crops."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model = loaded.model
        self.params = RecParams.from_manifest(loaded.spec.params)
        metadata = self.model.metadata
        self.charset = charset_from_metadata(metadata)

    def read(self, crops: list[np.ndarray], *, map_batches=map) -> list[Reading]:
        """Read each (h, w, 3) uint8 crop; results in the crops' order.

        ``map_batches``: how batches are run, e.g. a thread pool's ``map`` to run them concurrently.
        """
        widths = [resized_width(crop, self.params) for crop in crops]
        readings: list[Reading] = [Reading("", 0.0)] * len(crops)
        # widest first, so the longest batches start early when they run concurrently
        batches = sorted(plan_batches(widths, self.params), key=lambda b: -len(b) * widths[b[-1]])

        def read_batch(batch: list[int]) -> None:
            tensor = to_rec_batch([crops[i] for i in batch], [widths[i] for i in batch], self.params)
            (probs,) = self.model.run(tensor)[:1]
            for index, reading in zip(batch, ctc_greedy_decode(probs, self.charset), strict=True):
                readings[index] = reading

        list(map_batches(read_batch, batches))
        return readings
