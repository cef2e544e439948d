"""OCR post-processing without models: DB boxes, unclip, CTC decoding, batching, orientation, reading order."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from smartinspect.ocr.detect import DetParams, boxes_from_probability, input_size, order_corners, unclip_rect
from smartinspect.ocr.layout import reading_order
from smartinspect.ocr.metrics import char_accuracy, char_bag_f1, edit_distance, line_recall
from smartinspect.ocr.orient import estimate_skew, lies_on_its_side, line_angles, rotation_matrix, transform_boxes
from smartinspect.ocr.recognize import RecParams, ctc_greedy_decode, plan_batches, to_rec_batch


def _box(x1, y1, x2, y2) -> np.ndarray:
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)


def test_db_boxes_come_back_grown_and_scaled_to_the_page():
    prob = np.zeros((100, 200), np.float32)
    prob[40:50, 20:120] = 0.9  # a shrunk text kernel 100 x 10 at model resolution
    prob[80:82, 10:12] = 0.9  # speck: thinner than min_size
    boxes = boxes_from_probability(prob, DetParams(), out_size=(200, 400))  # page is 2x the model input
    assert len(boxes) == 1
    (x1, y1), (x2, y2) = boxes.boxes[0].min(axis=0), boxes.boxes[0].max(axis=0)
    # kernel (with the 2x2 dilation) is ~101 x 11; unclip grows each side by area * 1.6 / perimeter ~ 8 px
    assert 20 * 2 - 20 < x1 < 20 * 2 and 120 * 2 < x2 < 120 * 2 + 20
    assert 40 * 2 - 20 < y1 < 40 * 2 and 50 * 2 < y2 < 50 * 2 + 20
    assert 0.75 < boxes.scores[0] <= 0.9  # the mean inside the box (its rim, from the dilation, is 0)


def test_low_probability_regions_are_dropped():
    prob = np.zeros((64, 64), np.float32)
    prob[20:30, 5:60] = 0.35  # above the pixel threshold, below the box threshold
    assert len(boxes_from_probability(prob, DetParams(), out_size=(64, 64))) == 0


def test_unclip_grows_a_rectangle_by_area_over_perimeter():
    (_, (w, h), angle) = unclip_rect(((50.0, 50.0), (100.0, 10.0), 0.0), 1.6)
    d = 100 * 10 * 1.6 / 220
    assert (w, h, angle) == pytest.approx((100 + 2 * d, 10 + 2 * d, 0.0))


def test_corners_are_ordered_clockwise_from_top_left():
    shuffled = np.array([[10, 20], [0, 0], [10, 0], [0, 20]], dtype=np.float32)
    assert order_corners(shuffled).tolist() == [[0, 0], [10, 0], [10, 20], [0, 20]]


@pytest.mark.parametrize(("height", "width", "expected"), [(1754, 1240, (960, 672)), (100, 4000, (64, 1920)),
                                                           (40, 60, (64, 96))])
def test_det_input_is_bounded_and_a_multiple_of_32(height, width, expected):
    assert input_size(height, width, DetParams()) == expected


def test_ctc_decoding_merges_repeats_and_drops_blanks():
    charset = ["<blank>", "A", "B", " "]
    steps = [1, 1, 0, 1, 2, 2, 0, 0, 3, 2]  # A A _ A B B _ _ ' ' B -> "AAB B"
    probs = np.full((1, len(steps), 4), 0.01, np.float32)
    probs[0, np.arange(len(steps)), steps] = 0.9
    (reading,) = ctc_greedy_decode(probs, charset)
    assert reading.text == "AAB B"
    assert reading.confidence == pytest.approx(0.9)
    (empty,) = ctc_greedy_decode(np.eye(4, dtype=np.float32)[[0, 0, 0]][None], charset)
    assert empty.text == "" and empty.confidence == 0.0


def test_batches_group_similar_widths_and_pad_little():
    params = RecParams()
    widths = [40, 41, 300, 42, 310, 1200, 45]
    batches = plan_batches(widths, params)
    assert sorted(i for b in batches for i in b) == list(range(len(widths)))
    for batch in batches:
        assert max(widths[i] for i in batch) <= min(widths[i] for i in batch) * (1 + params.max_padding) + params.width_step
    tensor = to_rec_batch([np.full((20, 30, 3), 255, np.uint8), np.zeros((20, 60, 3), np.uint8)], [48, 144], params)
    assert tensor.shape == (2, 3, 48, 144)
    assert tensor[0, :, :, :48].min() == pytest.approx(1.0) and tensor[0, :, :, 48:].max() == 0.0  # zero padding


def test_line_angles_and_page_on_its_side():
    horizontal = np.stack([_box(0, i * 30, 300, i * 30 + 20) for i in range(5)])
    vertical = np.stack([_box(i * 30, 0, i * 30 + 20, 300) for i in range(5)])
    assert not lies_on_its_side(horizontal) and lies_on_its_side(vertical)
    angles, lengths = line_angles(horizontal)
    assert np.allclose(angles, 0) and np.allclose(lengths, 300)


@pytest.mark.parametrize("skew", [-7.0, 3.0])
def test_skew_is_measured_and_undone(skew):
    image = np.full((400, 600, 3), 255, np.uint8)
    boxes = np.stack([_box(50, 50 + i * 60, 550, 80 + i * 60) for i in range(5)])
    # tilt the page by `skew` degrees counter-clockwise: its lines then rise to the right (negative angle, y down)
    matrix, size = rotation_matrix(skew, image.shape[1], image.shape[0])
    tilted = transform_boxes(boxes, matrix)
    measured = estimate_skew(tilted)
    assert measured == pytest.approx(-skew, abs=0.2)
    back, _ = rotation_matrix(measured, *size)
    assert abs(estimate_skew(transform_boxes(tilted, back))) < 0.2


def test_reading_order_is_rows_then_left_to_right():
    boxes = np.stack([
        _box(600, 102, 800, 130),  # row 1, right (slightly lower than its neighbour)
        _box(100, 100, 300, 128),  # row 1, left
        _box(100, 200, 300, 228),  # row 3
        _box(350, 150, 500, 178),  # row 2
    ])
    assert reading_order(boxes) == [1, 0, 3, 2]
    assert reading_order(np.zeros((0, 4, 2), np.float32)) == []


def test_text_metrics():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert char_accuracy("报关单\nNo 1", "报关单\nNo1") == 1.0  # spaces inside lines do not count
    assert char_accuracy("AB", "CD") == 0.0
    assert char_bag_f1("BA", "AB") == 1.0
    assert line_recall(["Gross: 12 KG Net: 10 KG"], ["Gross: 12 KG", "Net: 10 KG", "Total"]) == pytest.approx(2 / 3)


def test_rotation_matrix_keeps_the_whole_page():
    matrix, (w, h) = rotation_matrix(90.0, 200, 100)
    assert (w, h) == (100, 200)
    corners = cv2.transform(np.array([[[0, 0], [199, 99]]], np.float32), matrix)[0]
    assert corners.min() > -1 and corners[:, 0].max() < w + 1 and corners[:, 1].max() < h + 1
