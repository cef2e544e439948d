"""The X-ray detector on pretrained features: EfficientNet-Lite0 (ImageNet, from the wheel) with a small feature
pyramid and a CenterNet head at stride 8, its training targets and loss, and the export wrapper.

The head predicts, per output cell, a score per class (a Gaussian peak at each object's centre), the object's width
and height (log, in cells) and the centre's offset inside the cell. ``ExportWrapper`` turns that into what serving
decodes (smartinspect.xray.detector.decode_centernet_output): scores reduced to local maxima, sizes in pixels,
offsets in 0..1. Training only (torch).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from smartinspect.training.backbone import STAGES, LiteFeatureExtractor

STRIDE = 8
BACKBONE_STAGES = ("s8", "s16", "s32")
PRIOR = 0.01  # initial class probability: the focal loss starts from "nothing here" (RetinaNet, CenterNet)


def _conv(cin: int, cout: int, k: int = 3) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _head(width: int, out: int, bias: float = 0.0) -> nn.Sequential:
    last = nn.Conv2d(width, out, 1)
    nn.init.constant_(last.bias, bias)
    return nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(inplace=True), last)


class LiteCenterNet(nn.Module):
    """(N, 3, T, T) float in [0, 1], T a multiple of 32 -> (heat logits (N, C, T/8, T/8), log size (N, 2, ...),
    offset logits (N, 2, ...))."""

    def __init__(self, num_classes: int, *, width: int = 64, frozen_blocks: int = 3) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.backbone = LiteFeatureExtractor(BACKBONE_STAGES)
        # the stem and the first blocks (strides 2 and 4: edges, blobs) keep their ImageNet weights
        for module in (self.backbone.stem, *self.backbone.blocks[:frozen_blocks]):
            for p in module.parameters():
                p.requires_grad_(False)
        self.lateral = nn.ModuleList(nn.Conv2d(STAGES[s].channels, width, 1) for s in BACKBONE_STAGES)
        self.smooth = nn.Sequential(_conv(width, width), _conv(width, width))
        self.heat = _head(width, num_classes, bias=-math.log((1 - PRIOR) / PRIOR))
        self.size = _head(width, 2)
        self.offset = _head(width, 2)

    def train(self, mode: bool = True) -> LiteCenterNet:
        super().train(mode)
        for m in self.backbone.modules():  # small CPU batches: keep ImageNet's normalisation statistics
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        s8, s16, s32 = self.backbone(x)
        p = self.lateral[2](s32)
        p = F.interpolate(p, size=s16.shape[-2:], mode="nearest") + self.lateral[1](s16)
        p = F.interpolate(p, size=s8.shape[-2:], mode="nearest") + self.lateral[0](s8)
        p = self.smooth(p)
        return self.heat(p), self.size(p), self.offset(p)


class ExportWrapper(nn.Module):
    """What the ONNX graph computes: (N, 3, T, T) -> (N, C + 4, T/8, T/8) peak scores, size (px), offset (0..1)."""

    def __init__(self, net: LiteCenterNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        heat, size, offset = self.net(x)
        heat = torch.sigmoid(heat)
        peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat).to(heat.dtype)
        return torch.cat([peaks, torch.exp(size) * STRIDE, torch.sigmoid(offset)], dim=1)


def build_targets(boxes: np.ndarray, classes: np.ndarray, *, num_classes: int, out_size: int,
                  min_sigma: float = 0.6) -> dict[str, np.ndarray]:
    """Targets of one tile. ``boxes`` (K, 4) xyxy in input pixels, ``classes`` (K,) ints.

    heat (C, S, S): an elliptical Gaussian per object (sigma a sixth of its side in cells, TTFNet-style), max over
    overlapping objects; size (2, S, S) log(w, h in cells), offset (2, S, S) and mask (S, S) at each centre cell.
    """
    heat = np.zeros((num_classes, out_size, out_size), np.float32)
    size = np.zeros((2, out_size, out_size), np.float32)
    offset = np.zeros((2, out_size, out_size), np.float32)
    mask = np.zeros((out_size, out_size), np.float32)
    grid = np.arange(out_size, dtype=np.float32)
    order = np.argsort(-(boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])) if len(boxes) else []
    for i in order:  # large first: a small object's centre cell keeps its own size target
        x1, y1, x2, y2 = boxes[i] / STRIDE
        w, h = max(x2 - x1, 1e-3), max(y2 - y1, 1e-3)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        ix, iy = min(int(cx), out_size - 1), min(int(cy), out_size - 1)
        sx, sy = max(w / 6, min_sigma), max(h / 6, min_sigma)
        g = np.exp(-((grid[None, :] - ix) ** 2) / (2 * sx**2) - ((grid[:, None] - iy) ** 2) / (2 * sy**2))
        c = int(classes[i])
        heat[c] = np.maximum(heat[c], g)
        size[:, iy, ix] = np.log([w, h])
        offset[:, iy, ix] = (cx - ix, cy - iy)
        mask[iy, ix] = 1.0
    return {"heat": heat, "size": size, "offset": offset, "mask": mask}


def centernet_loss(outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor], targets: dict[str, torch.Tensor],
                   *, size_weight: float = 1.0, offset_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """Penalty-reduced focal loss on the heat map (CenterNet, alpha 2, beta 4) and L1 on size and offset at the
    centres, each normalised by the number of objects."""
    heat_logits, size, offset = outputs
    gt, mask = targets["heat"], targets["mask"]
    pred = torch.sigmoid(heat_logits).clamp(1e-4, 1 - 1e-4)
    positive = gt.eq(1.0).float()
    pos_loss = -torch.log(pred) * (1 - pred) ** 2 * positive
    neg_loss = -torch.log(1 - pred) * pred**2 * (1 - gt) ** 4 * (1 - positive)
    n = positive.sum().clamp(min=1.0)
    heat_loss = (pos_loss.sum() + neg_loss.sum()) / n
    m = mask.unsqueeze(1)
    n_obj = mask.sum().clamp(min=1.0)
    size_loss = (F.l1_loss(size, targets["size"], reduction="none") * m).sum() / n_obj
    offset_loss = (F.l1_loss(torch.sigmoid(offset), targets["offset"], reduction="none") * m).sum() / n_obj
    total = heat_loss + size_weight * size_loss + offset_weight * offset_loss
    return {"loss": total, "heat": heat_loss.detach(), "size": size_loss.detach(), "offset": offset_loss.detach()}
