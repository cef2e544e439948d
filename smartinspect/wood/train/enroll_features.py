"""The enrolled package's feature extractor: ImageNet EfficientNet-Lite0 (from the wheel), pooled stages, ONNX.

Input ``images``: (n, 3, crop, crop) float32 RGB 0-255, the same batch the synthetic-trained classifier takes
(``smartinspect.wood.preprocess.to_batch``). Output ``features``: each stage's map pooled over space (its mean, and
with ``pooling="mean_std"`` also its standard deviation: second-order texture statistics), each part
L2-normalised, concatenated, divided by sqrt(parts): a unit vector whose parts weigh the same. Mid-level stages
describe texture (pores, rays, parenchyma bands); the deepest one more of the whole pattern. With ``views=8`` the
graph averages the pooled features of the crop's 8 dihedral transforms (rotations by 90 degrees and mirrors): end
grain has no up, and the descriptor no longer depends on how the loupe was turned.
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
POOLINGS = ("mean", "mean_std")
DEFAULT_POOLING = "mean"
DEFAULT_VIEWS = 8  # dev pool, seed 8000, 3 photos per genus: top-1 72.6 % with 1 view, 79.9 % with 8 (docs/wood.md)
PARITY_TOLERANCE = 1e-4  # max |eager - ONNX| of the unit features


class EnrolledFeatures(nn.Module):
    """Pooled, normalised Lite0 features of 0-255 crops."""

    def __init__(self, stages: tuple[str, ...] = DEFAULT_STAGES, *, pooling: str = DEFAULT_POOLING,
                 views: int = DEFAULT_VIEWS) -> None:
        super().__init__()
        if pooling not in POOLINGS or views not in (1, 8):
            raise ValueError(f"pooling {pooling!r} / views {views}: expected one of {POOLINGS} / 1 or 8")
        self.stages, self.pooling, self.views = tuple(stages), pooling, views
        self.backbone = LiteFeatureExtractor(self.stages)

    @property
    def dim(self) -> int:
        return sum(STAGES[s].channels for s in self.stages) * (2 if self.pooling == "mean_std" else 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        n = images.shape[0]
        x = dihedral(images) if self.views == 8 else images
        maps = self.backbone(x / 255.0)
        parts = [m.mean(dim=(2, 3)) for m in maps]
        if self.pooling == "mean_std":
            parts += [m.std(dim=(2, 3)) for m in maps]
        pooled = torch.cat([nn.functional.normalize(p, dim=1) for p in parts], dim=1) / math.sqrt(len(parts))
        if self.views == 8:
            pooled = pooled.reshape(8, n, -1).mean(dim=0)
        return pooled


def dihedral(images: torch.Tensor) -> torch.Tensor:
    """(n, c, s, s) -> (8 n, c, s, s): the 8 symmetries of the square (transpose x vertical flip x horizontal
    flip), transform-major. Built from flips and a transpose, which export to ONNX (rot90 does not)."""
    out = []
    for t in (images, images.transpose(2, 3)):
        for v in (t, t.flip(2)):
            out += [v, v.flip(3)]
    return torch.cat(out, dim=0)


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
