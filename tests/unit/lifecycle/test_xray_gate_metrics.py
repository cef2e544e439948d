"""The X-ray gate's metrics keep their items (objects, clean scans, scans) so that the promotion gate can compare two
detectors on the same frozen scans with paired tests (training/promote-xray.yaml)."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.lifecycle.gate import EventRate, GatedMetric, Outcome, ResampledStatistic, judge_metric
from smartinspect.xray.evaluate import ScanEval
from smartinspect.xray.kind import gate_metrics
from smartinspect.xray.types import Detections

CLASSES = ["firearm", "drugs"]


def _scan(i: int, gt: list[tuple[int, list[float]]], dets: list[tuple[int, float, list[float]]]) -> ScanEval:
    boxes = np.array([d[2] for d in dets], dtype=np.float32).reshape(-1, 4)
    return ScanEval(f"s{i}", gt, Detections(boxes, [d[1] for d in dets], [d[0] for d in dets]), is_empty=False,
                    declared_empty=False, content_seen=True, container_found=True, seconds=0.1)


BOX, OTHER = [10, 10, 50, 50], [200, 200, 240, 240]


def _evals(*, find_second_gun: bool) -> list[ScanEval]:
    return [
        _scan(0, [(0, BOX)], [(0, 0.9, BOX)]),                                          # gun found
        _scan(1, [(0, BOX)], [(0, 0.8, BOX)] if find_second_gun else [(0, 0.8, OTHER)]),  # found, or a box elsewhere
        _scan(2, [(1, BOX), (1, OTHER)], [(1, 0.7, BOX)]),                             # one pack of two
        _scan(3, [], []),                                                               # clean, quiet
        _scan(4, [], [(1, 0.6, OTHER)]),                                                # clean, false alarm
    ]


def test_recall_false_alarms_and_calibration_keep_their_items():
    m = gate_metrics(_evals(find_second_gun=True), CLASSES, review_threshold=0.5, inspect_threshold=0.85)
    assert isinstance(m["recall_firearm"], EventRate) and m["recall_firearm"].events == (1, 1)
    assert m["recall_drugs"].events == (1, 0) and float(m["recall_drugs"]) == pytest.approx(0.5)
    assert m["false_alarm_rate"].events == (None, None, None, 0, 1) and float(m["false_alarm_rate"]) == 0.5
    scores, labels = np.array([0.9, 0.8, 0.7, 0.0, 0.6]), np.array([1, 1, 1, 0, 0])
    assert isinstance(m["brier"], ResampledStatistic) and m["brier"].items == 5
    assert float(m["brier"]) == pytest.approx(np.mean((scores - labels) ** 2))
    assert isinstance(m["ece"], ResampledStatistic)
    assert m["detection_rate_at_inspect"] == pytest.approx(1 / 3)


def test_a_paired_recall_row_compares_the_same_objects():
    champion = gate_metrics(_evals(find_second_gun=True), CLASSES, review_threshold=0.5, inspect_threshold=0.85)
    challenger = gate_metrics(_evals(find_second_gun=False), CLASSES, review_threshold=0.5, inspect_threshold=0.85)
    recall = GatedMetric("recall_firearm", higher_is_better=True, paired_alpha=0.25)
    # one gun of two lost is not evidence at this size (p = 0.5); with tolerance 0 it would be a refusal
    assert judge_metric(recall, champion["recall_firearm"], challenger["recall_firearm"]) is Outcome.SAME
    strict = GatedMetric("recall_firearm", higher_is_better=True, tolerance=0.0)
    assert judge_metric(strict, champion["recall_firearm"], challenger["recall_firearm"]) is Outcome.WORSE
