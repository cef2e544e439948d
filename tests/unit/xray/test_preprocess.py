"""The model's view: gray and multi-window modes, tiling of 3-channel views, the batch layout the network gets."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.xray.preprocess import air_value, tiles_to_batch, to_model_input
from smartinspect.xray.tiling import extract_tiles, tile_grid


def _scene() -> np.ndarray:
    att = np.full((200, 300), 1.0, np.float32)  # cargo
    att[:, :20] = 0.0  # air
    att[90:110, 140:170] += 0.4  # a small dense object in the cargo
    return att


def test_gray_mode_maps_air_to_white_and_dense_to_black() -> None:
    view = to_model_input(np.array([[0.0, 4.0, 9.0]], np.float32), window=8.0)
    assert view.dtype == np.uint8 and view.shape == (1, 3)
    assert view.tolist() == [[255, 128, 0]]


def test_multiwindow_has_three_channels_and_local_contrast_lifts_a_small_object() -> None:
    view = to_model_input(_scene(), window=8.0, mode="multiwindow")
    assert view.shape == (200, 300, 3) and view.dtype == np.uint8
    full, gamma, local = view[..., 0].astype(int), view[..., 1].astype(int), view[..., 2].astype(int)
    assert (full[:, :10] == 255).all() and (gamma[:, :10] == 255).all()
    # the sqrt window spreads light attenuation over more grey levels than the linear one
    assert (255 - gamma[50, 250]) > 2 * (255 - full[50, 250])
    # flat cargo is ~128 in the local channel; the object stands out by more than in the linear window
    assert abs(local[50, 250] - 128) <= 2
    assert local[100, 155] - local[50, 250] > 1.4 * (full[50, 250] - full[100, 155])


def test_unknown_mode_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="gray, multiwindow"):
        to_model_input(_scene(), mode="rainbow")


@pytest.mark.parametrize("mode", ["gray", "multiwindow"])
def test_tiles_pad_with_air_and_batch_is_nchw(mode: str) -> None:
    view = to_model_input(_scene(), window=8.0, mode=mode)
    grid = tile_grid(view.shape[0], view.shape[1], tile=256, overlap=32)
    tiles = extract_tiles(view, grid, pad_value=air_value(mode))
    assert tiles.shape[:3] == (len(grid), 256, 256)
    padded = tiles[0, -1]  # the scene is 200 rows high: the last tile row is padding
    assert (padded == np.asarray(air_value(mode), np.uint8)).all()
    batch = tiles_to_batch(tiles)
    assert batch.shape == (len(grid), 3, 256, 256) and batch.dtype == np.float32
    if mode == "multiwindow":  # channel order kept: channel c of the batch is channel c of the view
        for c in range(3):
            assert np.allclose(batch[0, c], tiles[0, ..., c] / 255.0)
    else:
        assert np.array_equal(batch[:, 0], batch[:, 2])
