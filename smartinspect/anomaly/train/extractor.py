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
DETECTOR_WEIGHTS = "model.pt"  # a CenterNet detector package's PyTorch state dict (smartinspect.xray.train)
BACKBONE_PREFIX = "backbone."


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

    def load_backbone(self, state: dict[str, torch.Tensor]) -> None:
        """Replace the ImageNet weights with ``state`` (keys of :class:`LiteFeatureExtractor`, e.g. a detector's
        fine-tuned backbone); every weight of the truncated backbone must be there."""
        own = self.backbone.state_dict()
        missing = sorted(set(own) - set(state))
        if missing:
            raise ValueError(f"the backbone weights lack {len(missing)} tensors of stages {self.backbone.stages} "
                             f"(first: {missing[:3]})")
        bad = [k for k in own if tuple(state[k].shape) != tuple(own[k].shape)]
        if bad:
            raise ValueError(f"backbone tensors of another shape: {bad[:3]}")
        self.backbone.load_state_dict({k: state[k] for k in own})

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


def detector_backbone(package: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """The fine-tuned Lite0 backbone of an X-ray detector package (``head: centernet``: ``model.pt`` beside its
    manifest) and where it came from. Its features were trained on X-ray scans (docs/anomaly.md, session 15), and
    its input is the detector's analysis windows (``input_mode`` in the provenance). ValueError for a package that
    has no such backbone (a YOLO detector, a missing file)."""
    import json

    from smartinspect.runtime import file_sha256
    from smartinspect.runtime.registry import MANIFEST_NAME

    package = Path(package)
    manifest_path, weights = package / MANIFEST_NAME, package / DETECTOR_WEIGHTS
    if not manifest_path.is_file() or not weights.is_file():
        raise ValueError(f"{package} is not a detector package with {DETECTOR_WEIGHTS} (pass an X-ray detector "
                         "package folder such as models/xray-detector)")
    manifest = json.loads(manifest_path.read_text())
    params = manifest.get("params") or {}
    if params.get("head") != "centernet":
        raise ValueError(f"{package}: detector head {params.get('head', 'yolo')!r} has no EfficientNet-Lite0 "
                         "backbone; only the pretrained-backbone (centernet) detectors do")
    state = torch.load(weights, map_location="cpu", weights_only=True)
    backbone = {k[len(BACKBONE_PREFIX):]: v for k, v in state.items() if k.startswith(BACKBONE_PREFIX)}
    if not backbone:
        raise ValueError(f"{weights} holds no backbone weights")
    source = {"name": manifest.get("name"), "version": manifest.get("version"), "path": str(package),
              "weights_sha256": file_sha256(weights), "input_mode": params.get("input_mode", "gray"),
              "pitch_mm": params.get("pitch_mm"), "mlflow_run": (manifest.get("mlflow") or {}).get("run_id")}
    return backbone, source


def feature_net(stages: tuple[str, ...], *, neighbourhood: int = 3, features_from: Path | str | None = None
                ) -> tuple[PatchFeatureNet, dict | None]:
    """The patch-feature network: ImageNet's weights, or with ``features_from`` a detector package's fine-tuned
    backbone. Returns the network and the backbone's provenance (None for ImageNet); a view for a detector's
    backbone must use its ``input_mode``, the windows those features were trained on."""
    net = PatchFeatureNet(stages, neighbourhood=neighbourhood)
    if features_from is None:
        return net, None
    state, source = detector_backbone(Path(features_from))
    net.load_backbone(state)
    return net, source


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
