import numpy as np
import pytest

from smartinspect.xray.tiling import extract_tiles, merge_tile_detections, tile_grid
from smartinspect.xray.types import Detections


def test_grid_covers_image_with_overlap():
    grid = tile_grid(860, 2700, tile=320, overlap=64)
    covered = np.zeros((860, 2700), bool)
    for t in grid:
        covered[t.y0 : t.y1, t.x0 : t.x1] = True
    assert covered.all()
    xs = sorted({t.x0 for t in grid})
    assert all(b - a <= 256 for a, b in zip(xs, xs[1:], strict=False))
    assert max(t.x1 for t in grid) == 2700 and max(t.y1 for t in grid) == 860


def test_small_image_is_one_padded_tile():
    grid = tile_grid(100, 200, tile=320, overlap=64)
    assert len(grid) == 1
    tiles = extract_tiles(np.zeros((100, 200), np.uint8), grid)
    assert tiles.shape == (1, 320, 320)
    assert tiles[0, 150, 250] == 255 and tiles[0, 50, 50] == 0


@pytest.mark.parametrize("overlap", [-1, 320, 400])
def test_bad_overlap_rejected(overlap):
    with pytest.raises(ValueError, match="overlap"):
        tile_grid(500, 500, tile=320, overlap=overlap)


def _tile_dets(grid, boxes_by_tile):
    """Detections per tile from image-coordinate boxes clipped to each tile (what a perfect detector sees)."""
    out = []
    for t in grid:
        local = []
        for cls, (x1, y1, x2, y2) in boxes_by_tile:
            cx1, cy1, cx2, cy2 = max(x1, t.x0), max(y1, t.y0), min(x2, t.x1), min(y2, t.y1)
            if cx2 > cx1 and cy2 > cy1:
                local.append((cls, [cx1 - t.x0, cy1 - t.y0, cx2 - t.x0, cy2 - t.y0]))
        out.append(Detections(np.array([b for _, b in local], np.float32).reshape(-1, 4),
                              np.full(len(local), 0.9), np.array([c for c, _ in local])))
    return out


def test_object_cut_by_tile_edge_is_found_once():
    grid = tile_grid(640, 1200, tile=320, overlap=64)
    pistol = (0, (240.0, 100.0, 290.0, 130.0))  # straddles the x=256 and x=320 edges
    merged = merge_tile_detections(_tile_dets(grid, [pistol]), grid)
    assert len(merged) == 1
    np.testing.assert_allclose(merged.boxes[0], pistol[1], atol=0.5)


def test_long_object_spanning_many_tiles_is_fused_into_one_box():
    grid = tile_grid(860, 2700, tile=320, overlap=64)
    false_floor = (3, (100.0, 600.0, 1500.0, 660.0))  # 1.4k px long, crosses five tile columns
    merged = merge_tile_detections(_tile_dets(grid, [false_floor]), grid)
    assert len(merged) == 1
    np.testing.assert_allclose(merged.boxes[0], false_floor[1], atol=0.5)


def test_distinct_objects_and_classes_are_kept_apart():
    grid = tile_grid(640, 1200, tile=320, overlap=64)
    objects = [(0, (240.0, 100.0, 290.0, 130.0)), (1, (250.0, 105.0, 300.0, 135.0)),
               (0, (700.0, 400.0, 740.0, 430.0))]
    merged = merge_tile_detections(_tile_dets(grid, objects), grid)
    assert len(merged) == 3
    assert sorted(merged.class_ids.tolist()) == [0, 0, 1]


def test_duplicates_from_overlapping_tiles_keep_the_best_score():
    grid = tile_grid(320, 576, tile=320, overlap=64)  # two tiles sharing x in [256, 320)
    a = Detections(np.array([[262, 10, 300, 40]], np.float32), np.array([0.6]), np.array([2]))
    b = Detections(np.array([[6, 10, 44, 40]], np.float32), np.array([0.8]), np.array([2]))
    merged = merge_tile_detections([a, b], grid)
    assert len(merged) == 1 and merged.scores[0] == pytest.approx(0.8)


def test_only_the_occupied_region_is_tiled():
    from smartinspect.xray.tiling import occupied_region

    att = np.zeros((900, 3000), np.float32)
    assert occupied_region(att, min_attenuation=0.15) is None
    att[150:880, 100:2800] = 1.0
    roi = occupied_region(att, min_attenuation=0.15, margin=8)
    assert roi == (92, 142, 2808, 888)
    grid = tile_grid(900, 3000, tile=320, overlap=64, roi=roi)
    full = tile_grid(900, 3000, tile=320, overlap=64)
    assert len(grid) < len(full)
    covered = np.zeros(att.shape, bool)
    for t in grid:
        covered[t.y0 : t.y1, t.x0 : t.x1] = True
    assert covered[150:880, 100:2800].all()
    assert not grid[0].inner_edges()[0] and not grid[0].inner_edges()[1]  # ROI borders cut nothing
