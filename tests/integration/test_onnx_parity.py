"""The shipped ONNX detector computes what its PyTorch weights compute (both heads: the YOLO package's ultralytics
checkpoint, the CenterNet package's state dict)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch", reason="the train extra is not installed")


def test_shipped_onnx_matches_pytorch(xray_registry, sample_scans):
    from smartinspect.xray.decode import to_attenuation
    from smartinspect.xray.preprocess import to_model_input
    from smartinspect.xray.tiling import extract_tiles, tile_grid

    loaded = xray_registry.by_task("xray-detection")
    params = loaded.spec.params
    scan = sample_scans["firearm"]
    mode = params.get("input_mode", "gray")
    low = to_attenuation(scan.low) if mode == "material" else None  # generated scans are dual-energy
    view = to_model_input(to_attenuation(scan.high), window=params.get("window", 8.0), mode=mode,
                          low_attenuation=low)
    grid = tile_grid(*view.shape[:2], tile=params["tile"], overlap=params["overlap"])
    tiles = extract_tiles(view, grid[:: max(1, len(grid) // 6)])
    weights = loaded.spec.file.with_name("model.pt")
    if params.get("head") == "centernet":
        import torch

        from smartinspect.xray.train.centernet import LiteCenterNet
        from smartinspect.xray.train.fit_centernet import check_parity

        state = torch.load(weights, weights_only=True)
        net = LiteCenterNet(len(params["classes"]), width=state["lateral.0.weight"].shape[0])
        net.load_state_dict(state)
        parity = check_parity(net.eval(), loaded.spec.file, tiles)
    else:
        from smartinspect.xray.train.pipeline import check_parity

        parity = check_parity(weights, loaded.spec.file, tiles)
    assert parity["parity_max_abs_score"] < 1e-3
    assert parity["parity_max_abs_box"] < 0.05
