"""The enrolled package's feature extractor: ImageNet EfficientNet-Lite0 (from the wheel), pooled stages, ONNX.

Input ``images``: (n, 3, crop, crop) float32 RGB 0-255, the same batch the synthetic-trained classifier takes
(``smartinspect.wood.preprocess.to_batch``). Output ``features``: each stage's map average-pooled over space and
L2-normalised, concatenated, divided by sqrt(stages): a unit vector whose stages weigh the same. Mid-level stages
describe texture (pores, rays, parenchyma bands); the deepest one more of the whole pattern.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from smartinspect.training.backbone import STAGES, LiteFeatureExtractor

DEFAULT_STAGES = ("s8", "s16", "s32")
PARITY_TOLERANCE = 1e-4  # max |eager - ONNX| of the unit features


class EnrolledFeatures(nn.Module):
    """Pooled, normalised Lite0 features of 0-255 crops."""

    def __init__(self, stages: tuple[str, ...] = DEFAULT_STAGES) -> None:
        super().__init__()
        self.stages = tuple(stages)
        self.backbone = LiteFeatureExtractor(self.stages)

    @property
    def dim(self) -> int:
        return sum(STAGES[s].channels for s in self.stages)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        maps = self.backbone(images / 255.0)
        pooled = [nn.functional.normalize(m.mean(dim=(2, 3)), dim=1) for m in maps]
        return torch.cat(pooled, dim=1) / math.sqrt(len(pooled))


def export_features(net: EnrolledFeatures, path: Path, *, crop: int, opset: int = 17) -> Path:
    """ONNX with a dynamic batch axis; weights stay float32 (about 13 MB for Lite0 up to s32)."""
    net = net.eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*constant folding.*")
        torch.onnx.export(net, (torch.zeros(2, 3, crop, crop),), str(path), dynamo=False, input_names=["images"],
                          output_names=["features"], dynamic_axes={"images": {0: "batch"}, "features": {0: "batch"}},
                          opset_version=opset, do_constant_folding=True)
    return path


def check_parity(net: EnrolledFeatures, onnx_path: Path, batch: np.ndarray) -> float:
    """Max |difference| of the features, PyTorch eager vs ONNX Runtime; raises when over the tolerance."""
    from smartinspect.runtime import OnnxModel

    with torch.no_grad():
        eager = net.eval()(torch.from_numpy(batch)).numpy()
    served = OnnxModel(onnx_path, providers=["CPUExecutionProvider"]).run(batch)[0]
    diff = float(np.abs(eager - served).max())
    if not diff <= PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX parity failed: max |eager - ONNX| = {diff:.2e} > {PARITY_TOLERANCE}")
    return diff
