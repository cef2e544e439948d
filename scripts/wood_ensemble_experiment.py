"""Would two independently trained wood networks, their open-set scores averaged, reject unseen genera better than
either alone? The choice is read on validation data (known photos of the training set's validation split and of the
calibration seed; the five validation open-set genera); the held-out test set is printed beside it only with
``--test``, after the choice.

For each model package (``model.pt`` of a package or a candidate), every photo's 4x4 crops go through the package's
own export wrapper (the graph that is served): mean logits, and the mean ``distance``, ``knn`` and ``anatomy``
scores. A score is normalised per network (median 0, interquartile range 1 over the known threshold photos); the
ensemble's score is the mean of the networks' normalised scores, and its class the argmax of the summed logits.
Thresholds are per predicted class, each class's own ``--acceptance`` quantile of its known threshold photos (the
shipped recipe's ``open_set_class_spread: quantile``).

    .venv/bin/python scripts/wood_ensemble_experiment.py --package models/wood-classifier/model.pt \
        --package var/candidates/wood-classifier/model.pt --config training/wood-anatomy.yaml [--test]
"""

from __future__ import annotations

import argparse
import json
from itertools import combinations
from pathlib import Path

import numpy as np
import torch

from smartinspect.config import get_settings
from smartinspect.training.wood import WoodTrainConfig
from smartinspect.training.wood_data import ViewSet, load_views
from smartinspect.training.wood_model import ExportWrapper
from smartinspect.wood.evaluate import auroc
from smartinspect.wood.preprocess import grid_crops, to_batch

SCORES = ("distance", "knn", "anatomy")


def probe_sets(cfg: WoodTrainConfig, *, train: bool = False, test: bool = False) -> dict[str, ViewSet]:
    """The photos a probe reads: known validation and calibration photos (thresholds), the validation open-set
    genera; the training photos with ``train``; the held-out test set (known and open set) only with ``test``."""
    d, taxa = cfg.data, cfg.taxa
    kw = {"taxa": taxa, "side": cfg.model["analysis_side"], "cache_dir": get_settings().data_dir / "cache" / "wood"}
    wanted = {"train": (d["train_dir"], "train")} if train else {}
    wanted |= {"val": (d["train_dir"], "val"), "calibration": (d["calibration_dir"], "test"),
               "openval": (d["open_set_val_dir"], "open_set")}
    if test:
        wanted |= {"test": (d["test_dir"], "test"), "open_test": (d["test_dir"], "open_set")}
    return {name: load_views(Path(folder), split, **kw) for name, (folder, split) in wanted.items()}


def photo_scores(wrapper: ExportWrapper, views: np.ndarray, crop: int, grid: int, chunk: int = 64) -> dict:
    """Per photo, means over its crops: logits, the open-set scores, and (graphs with the anatomy head) the
    predicted anatomy descriptor."""
    per, parts = grid * grid, []
    for start in range(0, len(views), chunk):
        part = views[start:start + chunk]
        batch = np.concatenate([to_batch(grid_crops(v, crop, grid)) for v in part])
        with torch.no_grad():
            out = dict(zip(wrapper.output_names, wrapper(torch.from_numpy(batch)), strict=True))
        mean = {"logits": out["logits"].numpy().reshape(len(part), per, -1).mean(1),
                **{s: out[s].numpy().reshape(len(part), per).mean(1) for s in SCORES}}
        if wrapper.anatomy is not None:
            pred = (out["features"] - wrapper.anatomy.centre) @ wrapper.anatomy.weight
            mean["descriptor"] = pred.numpy().reshape(len(part), per, -1).mean(1)
        parts.append(mean)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def evaluate(known: dict, unknown: dict, names: np.ndarray, combo: tuple[str, ...], acceptance: float,
             labels: np.ndarray, ref: dict) -> dict:
    """Per-class own-quantile thresholds of max(combo) set on ``ref`` (the threshold photos)."""
    def score(s: dict) -> np.ndarray:
        return np.max([s[c] for c in combo], axis=0)

    r_score, r_top = score(ref), ref["logits"].argmax(1)
    thr = {c: float(np.quantile(r_score[r_top == c], acceptance)) for c in np.unique(r_top)}
    fallback = float(np.quantile(r_score, acceptance))

    def rejected(s: dict) -> np.ndarray:
        top = s["logits"].argmax(1)
        return score(s) > np.array([thr.get(int(c), fallback) for c in top])

    k_rej, u_rej = rejected(known), rejected(unknown)
    by_class = [1 - k_rej[labels == c].mean() for c in np.unique(labels)]
    return {"auroc": round(auroc(score(unknown), score(known)), 4), "known_accepted": round(1 - k_rej.mean(), 4),
            "worst_class_accepted": round(min(by_class), 4), "unknown_abstained": round(u_rej.mean(), 4),
            "per_genus": {g: round(float(u_rej[names == g].mean()), 3) for g in sorted(set(names))}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, action="append", required=True, help="a model.pt; give two or more")
    ap.add_argument("--config", type=Path, default=Path("training/wood-anatomy.yaml"))
    ap.add_argument("--acceptance", type=float, default=0.965)
    ap.add_argument("--test", action="store_true", help="also print the held-out test set (after choosing)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg = WoodTrainConfig.from_yaml(args.config)
    crop, grid = cfg.model["crop"], cfg.model.get("grid", 4)
    sets = probe_sets(cfg, test=args.test)
    nets = []
    for path in args.package:
        wrapper = ExportWrapper.from_saved(torch.load(path, map_location="cpu", weights_only=True))
        nets.append({name: photo_scores(wrapper, vs.views, crop, grid) for name, vs in sets.items()})

    def normalised(net: dict) -> dict:
        ref = {s: np.concatenate([net["val"][s], net["calibration"][s]]) for s in SCORES}
        med = {s: np.median(ref[s]) for s in SCORES}
        iqr = {s: np.quantile(ref[s], 0.75) - np.quantile(ref[s], 0.25) for s in SCORES}
        return {name: {"logits": out["logits"], **{s: (out[s] - med[s]) / iqr[s] for s in SCORES}}
                for name, out in net.items()}

    nets = [normalised(n) for n in nets]
    members = {f"net{i}": n for i, n in enumerate(nets)}
    members["ensemble"] = {name: {"logits": sum(n[name]["logits"] for n in nets),
                                  **{s: np.mean([n[name][s] for n in nets], axis=0) for s in SCORES}}
                           for name in nets[0]}
    combos = [(s,) for s in SCORES] + list(combinations(SCORES, 2))
    labels = {"val": sets["val"].labels, "test": sets["test"].labels if args.test else None}
    report = {}
    for member, out in members.items():
        ref = {k: np.concatenate([out["val"][k], out["calibration"][k]]) for k in out["val"]}
        for combo in combos:
            key = f"{member} {'+'.join(combo)}"
            report[key] = {"validation": evaluate(out["val"], out["openval"], np.array(
                [r["name"] for r in sets["openval"].rows]), combo, args.acceptance, labels["val"], ref)}
            if args.test:
                report[key]["test"] = evaluate(out["test"], out["open_test"], np.array(
                    [r["name"] for r in sets["open_test"].rows]), combo, args.acceptance, labels["test"], ref)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
