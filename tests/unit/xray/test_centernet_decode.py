"""The centernet head's decode (serving, numpy) and the dual-energy material channel of the model's view."""

import numpy as np
import pytest

from smartinspect.xray.detector import DetectorParams, decode_centernet_output
from smartinspect.xray.preprocess import air_value, material_channel, to_model_input


def _raw(n_classes=4, size=40):
    return np.zeros((1, n_classes + 4, size, size), np.float32)


def test_a_peak_becomes_a_box_at_its_cell_plus_offset():
    raw = _raw()
    raw[0, 1, 10, 20] = 0.9  # class 1 (drugs) peak at cell x=20, y=10
    raw[0, 4:6, 10, 20] = (48.0, 24.0)  # width, height in pixels
    raw[0, 6:8, 10, 20] = (0.5, 0.25)  # offset inside the cell
    (det,) = decode_centernet_output(raw, stride=8, min_score=0.05, nms_iou=0.5)
    assert det.class_ids.tolist() == [1] and det.scores.tolist() == pytest.approx([0.9])
    cx, cy = (20 + 0.5) * 8, (10 + 0.25) * 8
    assert det.boxes[0].tolist() == pytest.approx([cx - 24, cy - 12, cx + 24, cy + 12])


def test_below_min_score_and_empty_maps_give_no_detection():
    raw = _raw()
    raw[0, 0, 5, 5] = 0.04
    assert len(decode_centernet_output(raw, stride=8, min_score=0.05, nms_iou=0.5)[0].scores) == 0


def test_overlapping_peaks_of_one_class_are_suppressed_other_classes_kept():
    raw = _raw()
    for c, x, score in ((0, 10, 0.8), (0, 11, 0.6), (2, 10, 0.7)):
        raw[0, c, 10, x] = score
        raw[0, 4:6, 10, x] = (64.0, 64.0)
    det = decode_centernet_output(raw, stride=8, min_score=0.05, nms_iou=0.5)[0]
    assert sorted(det.class_ids.tolist()) == [0, 2]
    assert sorted(det.scores.tolist()) == pytest.approx([0.7, 0.8])


@pytest.mark.parametrize(("params", "ok"), [({"head": "centernet"}, True), ({"head": "yolo"}, True),
                                            ({"head": "detr"}, False)])
def test_manifest_head_is_validated(params, ok):
    raw = {"classes": ["firearm"], **params}
    if ok:
        assert DetectorParams.from_manifest(raw).head == params["head"]
    else:
        with pytest.raises(ValueError, match="unknown detector head"):
            DetectorParams.from_manifest(raw)


def test_material_channel_maps_the_dual_energy_ratio_and_is_neutral_without_it():
    high = np.full((4, 4), 2.0, np.float32)
    low = high * np.array([1.0, 1.25, 1.44, 0.5], np.float32)[None, :]  # iron-like, mid, organic, below range
    channel = material_channel(high, low)
    assert channel[0].tolist() == [36, 128, 197, 0]  # (R - 0.9) / 0.7 * 255
    assert (material_channel(high, None) == 128).all()
    thin = np.full((4, 4), 0.1, np.float32)  # too little matter for the ratio to mean anything
    assert (material_channel(thin, thin * 1.44) == 128).all()


def test_material_view_has_three_channels_and_its_own_air_value():
    att = np.zeros((32, 32), np.float32)
    view = to_model_input(att, mode="material")
    assert view.shape == (32, 32, 3) and tuple(view[0, 0]) == air_value("material")
