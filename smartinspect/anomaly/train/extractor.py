"""The patch-feature network: pretrained Lite0 stages, local neighbourhood aggregation, one feature map out.

Exported to ONNX (dynamic height and width) and checked against torch; serving runs only the ONNX file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from smartinspect.training.backbone import STAGES, LiteFeatureExtractor

INPUT_NAME = "image"
OUTPUT_NAME = "features"


class PatchFeatureNet(nn.Module):
    """(N, 3, H, W) float32 in [0, 1] -> (N, C, H / s, W / s) patch features, ``s`` the finest stage's stride.

    As PatchCore: each stage is averaged over a ``neighbourhood`` x ``neighbourhood`` window (a patch sees its
    surround), coarser stages are upsampled bilinearly to the finest grid, and the stages are concatenated.
    """

    def __init__(self, stages: tuple[str, ...] = ("s8", "s16"), neighbourhood: int = 3) -> None:
        super().__init__()
        if neighbourhood < 1 or neighbourhood % 2 == 0:
            raise ValueError(f"neighbourhood must be an odd window size >= 1, got {neighbourhood}")
        self.backbone = LiteFeatureExtractor(stages)
        self.neighbourhood = neighbourhood
        self.stride = min(STAGES[s].stride for s in stages)
        self.channels = sum(STAGES[s].channels for s in stages)

    @property
    def max_stride(self) -> int:
        return self.backbone.max_stride

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        maps = self.backbone(image)
        k = self.neighbourhood
        pooled = [F.avg_pool2d(m, k, stride=1, padding=k // 2, count_include_pad=False) if k > 1 else m
                  for m in maps]
        size = pooled[0].shape[-2:]
        for i, m in enumerate(pooled):
            if m.shape[-2:] != size:
                pooled[i] = F.interpolate(m, size=size, mode="bilinear", align_corners=False)
        return torch.cat(pooled, dim=1)


def export_onnx(net: PatchFeatureNet, path: Path, *, opset: int = 17) -> Path:
    """Write ``net`` as ONNX with dynamic batch, height and width."""
    net.eval()
    sample = torch.rand(1, 3, 128, 192)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net, (sample,), str(path), input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset,
        dynamic_axes={INPUT_NAME: {0: "batch", 2: "height", 3: "width"},
                      OUTPUT_NAME: {0: "batch", 2: "fheight", 3: "fwidth"}},
        dynamo=False,
    )
    return path


def check_parity(net: PatchFeatureNet, onnx_path: Path, images: list[np.ndarray]) -> dict[str, float]:
    """Max and mean |torch - ONNX| over ``images`` ((3, H, W) float32 in [0, 1]); relative to the features' scale."""
    from smartinspect.runtime import OnnxModel

    model = OnnxModel(onnx_path, providers=["CPUExecutionProvider"])
    worst, scale = 0.0, 0.0
    for image in images:
        batch = image[None].astype(np.float32)
        with torch.no_grad():
            expected = net(torch.from_numpy(batch)).numpy()
        got = model.run(batch)[0]
        if got.shape != expected.shape:
            raise AssertionError(f"ONNX output shape {got.shape} differs from torch {expected.shape}")
        worst = max(worst, float(np.abs(got - expected).max()))
        scale = max(scale, float(np.abs(expected).max()))
    return {"parity_max_abs": worst, "parity_max_rel": worst / max(scale, 1e-12), "parity_images": float(len(images))}
