"""Text accuracy of OCR output against ground truth: character accuracy (1 - normalised edit distance) and
line recall. Whitespace inside lines is ignored (OCR engines differ in how they space CJK text); line breaks
are kept, so reading order counts.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: cost 1), row by row in numpy."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    codes_b = np.array([ord(c) for c in b], dtype=np.int64)
    previous = np.arange(len(b) + 1, dtype=np.int64)
    for i, char in enumerate(a, start=1):
        substitute = previous[:-1] + (codes_b != ord(char))
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, substitute)
        # insertions run left to right: a cumulative minimum of (value - index) handles the chain
        current = np.minimum.accumulate(current - np.arange(len(b) + 1)) + np.arange(len(b) + 1)
        previous = current
    return int(previous[-1])


def squeeze(text: str) -> str:
    """Drop whitespace inside lines; keep non-empty lines."""
    lines = ("".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def char_accuracy(predicted: str, truth: str) -> float:
    """1 - edit distance / max(len) on squeezed texts, in [0, 1] (1.0 when both are empty)."""
    p, t = squeeze(predicted), squeeze(truth)
    if not p and not t:
        return 1.0
    return 1.0 - edit_distance(p, t) / max(len(p), len(t))


def char_bag_f1(predicted: str, truth: str) -> float:
    """F1 of the two texts' character multisets (whitespace ignored): recognition quality free of reading
    order and of how lines were cut."""
    p = Counter(c for c in predicted if not c.isspace())
    t = Counter(c for c in truth if not c.isspace())
    if not p and not t:
        return 1.0
    common = sum((p & t).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def line_recall(predicted_lines: list[str], truth_lines: list[str]) -> float:
    """Share of ground-truth lines found inside some predicted line (whitespace ignored; merged lines count)."""
    truth = [t for t in ("".join(line.split()) for line in truth_lines) if t]
    if not truth:
        return 1.0
    predicted = ["".join(line.split()) for line in predicted_lines]
    return sum(any(t in p for p in predicted) for t in truth) / len(truth)
