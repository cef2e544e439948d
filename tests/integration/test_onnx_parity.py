"""The shipped ONNX detector computes what its PyTorch weights compute."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="the train extra is not installed")


def test_shipped_onnx_matches_pytorch(xray_registry, sample_scans):
    from smartinspect.xray.decode import to_attenuation
    from smartinspect.xray.preprocess import to_model_input
    from smartinspect.xray.tiling import extract_tiles, tile_grid
    from smartinspect.xray.train.pipeline import check_parity

    loaded = xray_registry.by_task("xray-detection")
    view = to_model_input(to_attenuation(sample_scans["firearm"].high))
    grid = tile_grid(*view.shape, tile=320, overlap=64)
    tiles = extract_tiles(view, grid[:: max(1, len(grid) // 6)])
    parity = check_parity(loaded.spec.file.with_name("model.pt"), loaded.spec.file, tiles)
    assert parity["parity_max_abs_score"] < 1e-3
    assert parity["parity_max_abs_box"] < 0.05
