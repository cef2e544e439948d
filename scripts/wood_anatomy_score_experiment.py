"""Would an anatomy-consistency score separate unseen genera better than the served open-set scores? Validation data
only (the known validation photos of the training set and the five validation open-set genera; never the test set).

For a trained network (a run's or a package's ``model.pt``), it computes per photo, averaged over the 4x4 crops:
- ``distance``: Mahalanobis distance of the features to the nearest class mean (tied covariance), as served;
- ``knn``: one minus the cosine similarity to the 5th nearest training crop, as served;
- ``anatomy``: the served anatomy score (``training.wood_package.fit_anatomy_head``): the features mapped to the
  anatomy descriptors by a ridge regression fitted on training crops and on chimera/swap outliers, then the
  Mahalanobis distance of that prediction to the nearest class's mean prediction;
- ``anatomy_at_top``: the same distance, to the class the network predicts.

and prints each score's AUROC (known vs unknown) and the share of unknowns above the threshold that accepts 96.5 %
of the known photos (one global threshold).

    .venv/bin/python scripts/wood_anatomy_score_experiment.py --checkpoint var/runs/wood-classifier/<stamp>/model.pt \
        --config training/wood-anatomy.yaml
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from smartinspect.config import get_settings
from smartinspect.training.wood import WoodTrainConfig, load_checkpoint
from smartinspect.training.wood_data import load_views
from smartinspect.training.wood_model import ExportWrapper, squared_mahalanobis
from smartinspect.training.wood_package import fit_anatomy_head, fit_open_set, training_crops
from smartinspect.wood.evaluate import auroc
from smartinspect.wood.preprocess import grid_crops, to_batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=Path("training/wood-anatomy.yaml"))
    ap.add_argument("--acceptance", type=float, default=0.965)
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = WoodTrainConfig.from_yaml(args.config)
    d, m, taxa = cfg.data, cfg.model, cfg.taxa
    side, crop, grid = m["analysis_side"], m["crop"], m.get("grid", 4)
    cache = get_settings().data_dir / "cache" / "wood"
    net = load_checkpoint(args.checkpoint, cfg)
    train = load_views(Path(d["train_dir"]), "train", taxa=taxa, side=side, cache_dir=cache)
    val = load_views(Path(d["train_dir"]), "val", taxa=taxa, side=side, cache_dir=cache)
    outliers = load_views(Path(d["outlier_dir"]), "outlier", taxa=taxa, side=side, cache_dir=cache)
    unknown = load_views(Path(d["open_set_val_dir"]), "open_set", taxa=taxa, side=side, cache_dir=cache)

    per_class = cfg.operating.get("gaussian_photos_per_class", 60)
    crops = training_crops(net, train, crop=crop, grid=grid, per_class=per_class, seed=cfg.seed)
    head, fit = fit_anatomy_head(net, train, outliers, crops, crop=crop, grid=grid, seed=cfg.seed,
                                 n_classes=len(taxa))
    means, precision, bank = fit_open_set(crops, n_classes=len(taxa))
    wrapper = ExportWrapper(net, means, precision, bank, k=cfg.operating.get("knn_k", 5), anatomy=head).eval()

    def scores(views: np.ndarray, chunk: int = 64) -> dict[str, np.ndarray]:
        per, parts = grid * grid, []
        for start in range(0, len(views), chunk):
            part = views[start:start + chunk]
            batch = np.concatenate([to_batch(grid_crops(v, crop, grid)) for v in part])
            with torch.no_grad():
                logits, feats, dist, knn, anat = wrapper(torch.from_numpy(batch))
                to_each = torch.sqrt(torch.clamp(squared_mahalanobis(  # (n, c)
                    (feats - head.centre) @ head.weight, head.class_means, head.precision), min=0))
            top = logits.numpy().reshape(len(part), per, -1).mean(1).argmax(1)
            at_top = to_each.numpy()[np.arange(len(batch)), np.repeat(top, per)]
            parts.append({name: v.reshape(len(part), per).mean(1) for name, v in
                          (("distance", dist.numpy()), ("knn", knn.numpy()), ("anatomy", anat.numpy()),
                           ("anatomy_at_top", at_top))})
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}

    known_s, unknown_s = scores(val.views), scores(unknown.views)
    names = np.array([r["name"] for r in unknown.rows])
    report = {**fit, "known_photos": len(val.views), "unknown_photos": len(unknown.views)}
    for name in known_s:
        k, u = known_s[name], unknown_s[name]
        thr = float(np.quantile(k, args.acceptance))
        report[name] = {"auroc": round(auroc(u, k), 4), "unknown_abstained": round(float((u > thr).mean()), 4),
                        "per_genus_abstained": {g: round(float((u[names == g] > thr).mean()), 3)
                                                for g in sorted(set(names))}}
    for a, b in (("distance", "anatomy"), ("knn", "anatomy"), ("distance", "anatomy_at_top")):
        z = lambda s, ref: (s - np.median(ref)) / (np.quantile(ref, 0.75) - np.quantile(ref, 0.25))  # noqa: E731
        k = np.maximum(z(known_s[a], known_s[a]), z(known_s[b], known_s[b]))
        u = np.maximum(z(unknown_s[a], known_s[a]), z(unknown_s[b], known_s[b]))
        thr = float(np.quantile(k, args.acceptance))
        report[f"max({a},{b})"] = {"auroc": round(auroc(u, k), 4),
                                   "unknown_abstained": round(float((u > thr).mean()), 4)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
