"""Platt scaling of detection scores (training fits it on a calibration set; the detector applies it)."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.lifecycle.calibration import expected_calibration_error, fit_platt
from smartinspect.xray.detector import DetectorParams, platt


def test_fit_platt_recovers_a_known_miscalibration_and_removes_it():
    rng = np.random.default_rng(0)
    truth = rng.uniform(-3, 3, 4000)
    labels = rng.random(4000) < 1 / (1 + np.exp(-truth))
    raw = 1 / (1 + np.exp(-(0.4 * truth + 1.5)))  # overconfident and shifted: logit(raw) = 0.4 t + 1.5
    a, b = fit_platt(raw, labels)
    assert a == pytest.approx(2.5, rel=0.1) and b == pytest.approx(-3.75, rel=0.1)
    assert expected_calibration_error(raw, labels) > 0.2
    assert expected_calibration_error(platt(raw, (a, b)), labels) < 0.04


def test_platt_is_monotonic_and_fit_refuses_what_it_cannot_fit():
    s = np.linspace(0.01, 0.99, 50)
    assert np.all(np.diff(platt(s, (2.0, -1.0))) > 0)
    assert fit_platt([0.2, 0.9, 0.8], [0, 1, 1]) is None  # one negative: no fit
    # scores that rank the labels backwards would need a negative slope: refused, raw scores stay
    assert fit_platt([0.9, 0.8, 0.85, 0.1, 0.2, 0.15], [0, 0, 0, 1, 1, 1]) is None


def test_manifest_calibration_is_validated():
    params = DetectorParams.from_manifest({"classes": ["firearm"], "score_calibration": [1.5, -0.5]})
    assert params.score_calibration == (1.5, -0.5)
    assert DetectorParams.from_manifest({"classes": ["firearm"]}).score_calibration is None
    with pytest.raises(ValueError, match="slope"):
        DetectorParams.from_manifest({"classes": ["firearm"], "score_calibration": [-1.0, 0.0]})
