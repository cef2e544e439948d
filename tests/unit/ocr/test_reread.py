"""The second reading of header lines (ocr/reread.py): which lines, how the crop grows, which reading wins."""

from __future__ import annotations

import numpy as np

from smartinspect.ocr.recognize import Reading
from smartinspect.ocr.reread import RereadParams, grown_box, header_crops, header_indices, keep_best


def _box(x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)


def test_grown_box_grows_along_the_line_by_fractions_of_its_height() -> None:
    grown = grown_box(_box(100, 50, 300, 70), 0.1, 0.2, 0.5, 0.25)  # height 20
    np.testing.assert_allclose(grown, _box(90, 48, 305, 74))


def test_grown_box_follows_a_tilted_line() -> None:
    angle = np.deg2rad(10)
    across, down = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
    tl = np.array([100.0, 100.0])
    box = np.array([tl, tl + 200 * across, tl + 200 * across + 20 * down, tl + 20 * down], np.float32)
    grown = grown_box(box, 0.5, 0.5, 0.0, 0.0)
    np.testing.assert_allclose(grown[0], tl - 10 * down, atol=1e-3)
    np.testing.assert_allclose(grown[2], tl + 200 * across + 30 * down, atol=1e-3)


def test_header_is_the_first_lines_in_reading_order_at_the_top_of_the_page() -> None:
    boxes = np.stack([_box(10, 500, 90, 520),  # low on the page
                      _box(120, 10, 200, 30), _box(10, 12, 100, 30),  # one row: left first
                      _box(10, 40, 100, 60), _box(10, 70, 100, 90)])
    assert header_indices(boxes, 1000, RereadParams(max_lines=3)) == [2, 1, 3]
    assert header_indices(boxes, 1000, RereadParams(max_lines=10, max_top=0.35)) == [2, 1, 3, 4]
    assert header_indices(boxes, 1000, RereadParams(max_lines=0)) == []
    assert header_indices(np.zeros((0, 4, 2), np.float32), 1000, RereadParams()) == []


def test_header_crops_are_taller_than_the_box_and_stay_on_the_page() -> None:
    image = np.full((400, 300, 3), 255, np.uint8)
    boxes = np.stack([_box(0, 0, 200, 20), _box(20, 40, 220, 60)])
    owners, crops = header_crops(image, boxes, RereadParams(max_lines=6, paddings=((0.1, 0.1, 0.3, 0.3), (0.2, 0.2, 0.5, 0.5))))
    assert owners == [0, 0, 1, 1]
    assert crops[2].shape[0] > 20 and crops[3].shape[0] > crops[2].shape[0]
    assert crops[0].shape[0] >= 20  # clipped at the page's top edge, not beyond it


def test_keep_best_keeps_the_most_confident_reading_first_wins_ties() -> None:
    first = [Reading("GARDENLA BAKERIES", 0.91), Reading("LOT 3", 0.99), Reading("TEL", 0.8)]
    second = [Reading("GARDENIA BAKERIES", 0.97), Reading("LOT 3.", 0.99), Reading("", 1.0)]
    assert keep_best(first, [0, 1, 2], second) == [Reading("GARDENIA BAKERIES", 0.97), Reading("LOT 3", 0.99),
                                                   Reading("TEL", 0.8)]
