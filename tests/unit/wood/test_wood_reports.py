"""The wood training run's report images and the curve arithmetic behind them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the train extra is not installed")

from smartinspect.wood.evaluate import PhotoOutcome  # noqa: E402
from smartinspect.wood.train.reports import precision_recall, roc, write_reports  # noqa: E402


def test_curves_of_a_perfect_a_reversed_and_a_tied_ranking():
    positive = np.array([True, True, False, False])
    assert roc(np.array([4.0, 3, 2, 1]), positive)[2] == pytest.approx(1.0)
    assert roc(np.array([1.0, 2, 3, 4]), positive)[2] == pytest.approx(0.0)
    assert precision_recall(np.array([4.0, 3, 2, 1]), positive)[2] == pytest.approx(1.0)
    # positives ranked 1st and 3rd: AP = (1/1 + 2/3) / 2
    assert precision_recall(np.array([4.0, 2, 3, 1]), positive)[2] == pytest.approx((1 + 2 / 3) / 2)


def _outcome(name, kind, probs, distance):
    return PhotoOutcome(name, kind, np.asarray(probs, float), distance, 0.0, 0.0, distance > 1, None, None)


def test_reports_are_written_as_images(tmp_path):
    taxa = ["Khaya", "Swietenia"]
    outcomes = [_outcome("Khaya", "known", [0.9, 0.1], 0.2), _outcome("Swietenia", "known", [0.3, 0.7], 0.5),
                _outcome("Khaya", "known", [0.4, 0.6], 0.9), _outcome("Shorea", "open_set", [0.5, 0.5], 1.7),
                _outcome("photo", "ood", [0.5, 0.5], 3.0)]
    files = write_reports(outcomes, taxa, lambda o: o.distance, tmp_path)
    assert sorted(f.name for f in files) == ["PR_curves.png", "confusion_matrix.png", "open_set_ROC.png"]
    for f in files:
        image = cv2.imread(str(f))
        assert image is not None and image.shape[0] > 300 and image.std() > 5
