"""The wood classifier network (torchvision building blocks, trained from scratch) and its export wrapper.

``WoodNet`` takes (n, 3, 128, 128) float32 RGB 0-255 and normalises inside, so the served graph needs no
pre-processing beyond cropping. ``ExportWrapper`` adds the open-set distance (Mahalanobis to the nearest class mean,
tied covariance) as a graph output, so serving does no linear algebra of its own.
"""

from __future__ import annotations

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock

MEAN = (150.0, 110.0, 80.0)  # rough mean of end-grain photos (0-255); the network learns the rest
STD = (60.0, 55.0, 50.0)


class SmallResNet(nn.Module):
    """ResNet-18 layout (2-2-2-2 torchvision BasicBlocks) with reduced widths, for 128 px crops on a CPU."""

    def __init__(self, widths: tuple[int, int, int, int], num_classes: int) -> None:
        super().__init__()
        w0 = widths[0]
        self.stem = nn.Sequential(
            nn.Conv2d(3, w0, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(w0), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        layers, cin = [], w0
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            down = None
            if stride != 1 or cin != w:
                down = nn.Sequential(nn.Conv2d(cin, w, 1, stride=stride, bias=False), nn.BatchNorm2d(w))
            layers += [BasicBlock(cin, w, stride, down), BasicBlock(w, w)]
            cin = w
        self.layers = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = cin
        self.fc = nn.Linear(cin, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.layers(self.stem(x))), 1)


class MobileNetSmall(nn.Module):
    """torchvision MobileNetV3-small, from scratch, with its classifier reduced to one linear layer."""

    def __init__(self, width_mult: float, num_classes: int) -> None:
        super().__init__()
        net = torchvision.models.mobilenet_v3_small(weights=None, width_mult=width_mult)
        self.body = net.features
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = net.classifier[0].in_features
        self.fc = nn.Linear(self.feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.pool(self.body(x)), 1)


class WoodNet(nn.Module):
    """Normalisation + backbone; ``forward`` returns (logits, features)."""

    def __init__(self, arch: str, num_classes: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1))
        self.backbone = build_backbone(arch, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.backbone.features((x - self.mean) / self.std)
        return self.backbone.fc(feats), feats


class EnsembleNet(nn.Module):
    """Several ``WoodNet``s of one recipe, trained with different seeds, as one network (a deep ensemble,
    Lakshminarayanan et al. 2017): ``forward`` returns the mean of the members' logits and the concatenation of
    their features. The open-set heads (class Gaussians, k-NN bank, anatomy head) are then fitted on the
    concatenated features like on one network's, so serving and the ONNX graph's interface do not change."""

    def __init__(self, members: list[WoodNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outs = [member(x) for member in self.members]
        return torch.stack([o[0] for o in outs]).mean(0), torch.cat([o[1] for o in outs], dim=1)


def build_network(arch: str, num_classes: int, members: int = 1) -> WoodNet | EnsembleNet:
    """One ``WoodNet``, or an ``EnsembleNet`` of ``members`` of them (the layout of a saved state dict)."""
    if members < 1:
        raise ValueError(f"an ensemble needs at least one member, got {members}")
    if members == 1:
        return WoodNet(arch, num_classes)
    return EnsembleNet([WoodNet(arch, num_classes) for _ in range(members)])


def build_backbone(arch: str, num_classes: int) -> nn.Module:
    """``resnet-<w0>`` (e.g. resnet-24: widths 24-48-96-192) or ``mobilenet_v3_small-<mult>``."""
    name, _, size = arch.partition("-")
    if name == "resnet" and size.isdigit():
        w = int(size)
        return SmallResNet((w, 2 * w, 4 * w, 8 * w), num_classes)
    if name == "mobilenet_v3_small":
        return MobileNetSmall(float(size or 1.0), num_classes)
    raise ValueError(f"unknown arch {arch!r}; valid: resnet-<width> (e.g. resnet-24), mobilenet_v3_small-<mult>")


class AnatomyHead(nn.Module):
    """The anatomy-consistency score: features -> predicted anatomy descriptor (a linear map fitted at calibration,
    ``centre`` and ``weight``), then the Mahalanobis distance of that prediction to the nearest class's mean
    prediction (tied covariance). It compares a photo with the known classes only along anatomical directions
    (vessels, parenchyma, rays, ...), not along whatever else the features encode (lighting, focus, colour cast)."""

    def __init__(self, centre: torch.Tensor, weight: torch.Tensor, class_means: torch.Tensor,
                 precision: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("centre", centre.float())  # (d,)
        self.register_buffer("weight", weight.float())  # (d, a)
        self.register_buffer("class_means", class_means.float())  # (c, a)
        self.register_buffer("precision", precision.float())  # (a, a)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return nearest_mahalanobis((feats - self.centre) @ self.weight, self.class_means, self.precision)


def squared_mahalanobis(x: torch.Tensor, means: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
    """(n, c) squared Mahalanobis distance of each row of ``x`` to each of ``means`` (shared ``precision``)."""
    diff = x.unsqueeze(1) - means.unsqueeze(0)  # (n, c, d)
    return ((diff @ precision) * diff).sum(-1)


def nearest_mahalanobis(x: torch.Tensor, means: torch.Tensor, precision: torch.Tensor) -> torch.Tensor:
    """(n,) Mahalanobis distance of each row of ``x`` to the nearest of ``means`` (shared ``precision``)."""
    return torch.sqrt(torch.clamp(squared_mahalanobis(x, means, precision).min(dim=1).values, min=0.0))


class ExportWrapper(nn.Module):
    """(n, 3, h, w) -> logits (n, c), features (n, d), distance (n,), knn (n,) [, anatomy (n,)].

    distance: Mahalanobis distance to the nearest class mean (tied covariance). knn: one minus the cosine
    similarity to the k-th nearest of the training crops in ``bank`` (Sun et al. 2022, "Out-of-distribution
    detection with deep nearest neighbors"). anatomy (with an ``AnatomyHead``): see there.
    """

    def __init__(self, net: WoodNet | EnsembleNet, class_means: torch.Tensor, precision: torch.Tensor,
                 bank: torch.Tensor, k: int = 5, anatomy: AnatomyHead | None = None) -> None:
        super().__init__()
        self.net = net
        self.k = k
        self.register_buffer("class_means", class_means.float())  # (c, d)
        self.register_buffer("precision", precision.float())  # (d, d), symmetric positive definite
        self.register_buffer("bank", torch.nn.functional.normalize(bank.float(), dim=1))  # (m, d), unit rows
        self.anatomy = anatomy

    @classmethod
    def from_saved(cls, saved: dict) -> ExportWrapper:
        """The wrapper a model package's ``model.pt`` holds (``{"arch", "taxa", "knn_k", "wrapper_state_dict"}``,
        and ``"members"`` for an ensemble)."""
        state = saved["wrapper_state_dict"]
        anatomy = AnatomyHead(*(state[f"anatomy.{k}"] for k in ("centre", "weight", "class_means", "precision"))) \
            if "anatomy.weight" in state else None
        net = build_network(saved["arch"], len(saved["taxa"]), int(saved.get("members", 1)))
        wrapper = cls(net, state["class_means"], state["precision"], state["bank"], k=saved["knn_k"], anatomy=anatomy)
        wrapper.load_state_dict(state)
        return wrapper.eval()

    @property
    def output_names(self) -> list[str]:
        return ["logits", "features", "distance", "knn"] + (["anatomy"] if self.anatomy is not None else [])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        logits, feats = self.net(x)
        distance = nearest_mahalanobis(feats, self.class_means, self.precision)
        similarity = torch.nn.functional.normalize(feats, dim=1) @ self.bank.T  # (n, m)
        knn = 1.0 - torch.topk(similarity, self.k, dim=1).values[:, -1]
        if self.anatomy is None:
            return logits, feats, distance, knn
        return logits, feats, distance, knn, self.anatomy(feats)


def fit_gaussian(features: torch.Tensor, labels: torch.Tensor, num_classes: int,
                 shrinkage: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """Class means (c, d) and the precision of the shared (tied) covariance, shrunk towards its mean variance."""
    feats = features.double()
    means = torch.stack([feats[labels == k].mean(0) for k in range(num_classes)])
    centred = feats - means[labels]
    cov = centred.T @ centred / max(1, len(feats) - num_classes)
    target = torch.eye(cov.shape[0], dtype=cov.dtype) * cov.diagonal().mean()
    cov = (1 - shrinkage) * cov + shrinkage * target
    return means.float(), torch.linalg.inv(cov).float()
