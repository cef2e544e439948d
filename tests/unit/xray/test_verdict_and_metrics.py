import numpy as np
import pytest

from smartinspect.xray.detector import decode_yolo_output, nms
from smartinspect.xray.evaluate import ScanEval, ap50_per_class, average_precision, calibrate_threshold, scan_level
from smartinspect.xray.types import AnomalyCheck, Detections, EmptyCheck, Verdict
from smartinspect.xray.verdict import decide_verdict

CLASSES = ("firearm", "drugs", "cigarettes", "concealment")
FOUND_EMPTY = EmptyCheck(True, False, 0.0, (0, 0, 10, 10), False)


def _dets(*rows):
    return Detections(np.array([r[2] for r in rows], np.float32).reshape(-1, 4),
                      np.array([r[1] for r in rows]), np.array([r[0] for r in rows]))


@pytest.mark.parametrize(
    ("detections", "empty", "verdict", "first_code"),
    [
        (_dets(), FOUND_EMPTY, Verdict.CLEAR, "nothing_found"),
        (_dets((0, 0.9, [0, 0, 5, 5])), FOUND_EMPTY, Verdict.INSPECT, "contraband_detected"),
        (_dets((1, 0.3, [0, 0, 5, 5])), FOUND_EMPTY, Verdict.REVIEW, "possible_contraband"),
        (_dets((1, 0.1, [0, 0, 5, 5])), FOUND_EMPTY, Verdict.CLEAR, "nothing_found"),
        (_dets(), EmptyCheck(True, True, 0.2, (0, 0, 10, 10), True), Verdict.INSPECT, "declared_empty_not_empty"),
        (_dets(), EmptyCheck(True, True, 0.2, (0, 0, 10, 10), False), Verdict.CLEAR, "nothing_found"),
        (_dets(), EmptyCheck(False, False, 0.0, None, None), Verdict.REVIEW, "container_not_found"),
    ],
)
def test_verdicts(detections, empty, verdict, first_code):
    got, reasons = decide_verdict(detections, empty, class_names=CLASSES, review_threshold=0.25,
                                  inspect_threshold=0.5)
    assert got is verdict
    assert reasons[0].code == first_code


def test_impenetrable_region_asks_for_review():
    got, reasons = decide_verdict(_dets(), FOUND_EMPTY, class_names=CLASSES, review_threshold=0.25,
                                  inspect_threshold=0.5, impenetrable_fraction=0.3)
    assert got is Verdict.REVIEW and reasons[0].code == "impenetrable_region"


def _anomaly(score: float) -> AnomalyCheck:
    return AnomalyCheck(model_name="xray-anomaly", model_version="1", site="yangshan", score=score, threshold=10.0,
                        anomalous=score >= 10.0, region=(40, 50, 120, 90), region_score=score / 10.0,
                        heatmap={"origin": [0, 0], "stride": 16.0, "shape": [1, 1], "png_base64": ""})


def test_an_anomalous_cargo_space_asks_for_review_naming_the_region_and_site():
    got, reasons = decide_verdict(_dets(), FOUND_EMPTY, class_names=CLASSES, review_threshold=0.25,
                                  inspect_threshold=0.5, anomaly=_anomaly(13.0))
    assert got is Verdict.REVIEW and [r.code for r in reasons] == ["anomaly"]
    assert "x 40-120, y 50-90" in reasons[0].message and "yangshan" in reasons[0].message
    assert reasons[0].evidence["region"] == [40, 50, 120, 90] and reasons[0].evidence["score"] == 13.0
    # below the site's threshold the anomaly model adds nothing; a detection still decides INSPECT first
    got, reasons = decide_verdict(_dets(), FOUND_EMPTY, class_names=CLASSES, review_threshold=0.25,
                                  inspect_threshold=0.5, anomaly=_anomaly(9.9))
    assert got is Verdict.CLEAR
    got, reasons = decide_verdict(_dets((0, 0.9, [0, 0, 5, 5])), FOUND_EMPTY, class_names=CLASSES,
                                  review_threshold=0.25, inspect_threshold=0.5, anomaly=_anomaly(13.0))
    assert got is Verdict.INSPECT and [r.code for r in reasons] == ["contraband_detected", "anomaly"]


def test_nms_keeps_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    keep = nms(boxes, np.array([0.5, 0.9, 0.7]), 0.5)
    assert keep.tolist() == [1, 2]


def test_decode_yolo_output_converts_centres_and_filters_scores():
    raw = np.zeros((1, 8, 3), np.float32)
    raw[0, :4, 0] = [50, 60, 20, 10]  # cx, cy, w, h
    raw[0, 4 + 2, 0] = 0.8
    raw[0, 4 + 1, 1] = 0.01  # below min_score
    (dets,) = decode_yolo_output(raw, min_score=0.05, nms_iou=0.5)
    assert len(dets) == 1 and dets.class_ids[0] == 2
    np.testing.assert_allclose(dets.boxes[0], [40, 55, 60, 65])


def test_average_precision_of_perfect_and_useless_rankings():
    assert average_precision(np.array([0.5, 1.0]), np.array([1.0, 1.0])) == pytest.approx(1.0)
    assert average_precision(np.array([0.0, 0.0]), np.array([0.0, 0.0])) == pytest.approx(0.0)


def _eval(gt, dets):
    return ScanEval("s", gt, dets, False, False, False, True, 0.0)


def test_ap50_counts_matches_misses_and_false_positives():
    evals = [
        _eval([(0, [0, 0, 10, 10])], _dets((0, 0.9, [0, 0, 10, 10]))),
        _eval([(0, [0, 0, 10, 10])], _dets((0, 0.8, [50, 50, 60, 60]))),  # wrong place: FP + miss
    ]
    aps = ap50_per_class(evals, 4)
    assert aps == {0: pytest.approx(0.5)}


def test_threshold_calibration_bounds_false_alarms():
    clean = list(np.linspace(0.0, 0.99, 100))
    t = calibrate_threshold(clean, 0.02)
    assert sum(s >= t for s in clean) <= 2
    evals = [_eval([], _dets((0, s, [0, 0, 1, 1]))) for s in clean]
    assert scan_level(evals, t)["false_alarm_rate"] <= 0.02
