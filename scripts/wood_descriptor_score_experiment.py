"""Would the anatomy score separate unseen genera better at photo level, against each class's own spread, than the
served crop-level score against a tied covariance? Validation data decides (known validation and calibration
photos; the five validation open-set genera); the test set is printed beside it only with ``--test``.

The served ``anatomy`` score maps each crop's features to the anatomy descriptor (the package's ridge head), then
takes the Mahalanobis distance to the nearest class's mean prediction with one covariance for all classes, per crop,
averaged over the crops. An unseen genus often differs from its nearest known class in one or two characters
(birch from maple in vessel density and in lacking broad rays), which a 32-dimensional distance dilutes. Variants,
all on the photo's mean predicted descriptor, with class statistics from the training photos:

- ``photo_tied``: Mahalanobis distance to the nearest class mean, one covariance (the served score, at photo level);
- ``photo_own``: to the predicted class, with that class's own covariance (shrunk 20 % towards its diagonal);
- ``photo_max_z``: the largest per-character |z| against the predicted class's own mean and standard deviation.

    .venv/bin/python scripts/wood_descriptor_score_experiment.py --package models/wood-classifier/model.pt \
        --config training/wood-anatomy.yaml [--test]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from wood_ensemble_experiment import evaluate, photo_scores, probe_sets

from smartinspect.training.wood import WoodTrainConfig
from smartinspect.training.wood_model import ExportWrapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, required=True)
    ap.add_argument("--config", type=Path, default=Path("training/wood-anatomy.yaml"))
    ap.add_argument("--acceptance", type=float, default=0.965)
    ap.add_argument("--test", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cfg = WoodTrainConfig.from_yaml(args.config)
    taxa, crop, grid = cfg.taxa, cfg.model["crop"], cfg.model.get("grid", 4)
    sets = probe_sets(cfg, train=True, test=args.test)
    wrapper = ExportWrapper.from_saved(torch.load(args.package, map_location="cpu", weights_only=True))
    if wrapper.anatomy is None:
        raise SystemExit(f"{args.package}: the graph has no anatomy head")
    scores = {name: photo_scores(wrapper, vs.views, crop, grid) for name, vs in sets.items()}  # one pass per photo
    desc = {name: s.pop("descriptor") for name, s in scores.items()}
    del scores["train"]  # the training photos only give the class statistics

    y, x = sets["train"].labels, desc["train"]
    classes = np.arange(len(taxa))
    mu = np.stack([x[y == c].mean(0) for c in classes])
    sd = np.stack([x[y == c].std(0) for c in classes]) + 1e-3
    tied = np.linalg.pinv(np.cov((x - mu[y]).T) + 1e-3 * np.eye(x.shape[1]))
    own = []
    for c in classes:
        cov = np.cov((x[y == c] - mu[c]).T)
        own.append(np.linalg.pinv(0.8 * cov + 0.2 * np.diag(np.diag(cov)) + 1e-3 * np.eye(x.shape[1])))

    for name, p in desc.items():
        if name == "train":
            continue
        top = scores[name]["logits"].argmax(1)
        diff = p[:, None, :] - mu[None]  # (n, c, a)
        scores[name]["photo_tied"] = np.sqrt(np.einsum("nca,ab,ncb->nc", diff, tied, diff).min(1))
        mine = diff[np.arange(len(p)), top]  # (n, a)
        scores[name]["photo_own"] = np.sqrt(np.einsum("na,nab,nb->n", mine, np.stack(own)[top], mine))
        scores[name]["photo_max_z"] = np.abs(mine / sd[top]).max(1)

    report = {}
    ref = {k: np.concatenate([scores["val"][k], scores["calibration"][k]]) for k in scores["val"]}
    for combo in [("anatomy",), ("photo_tied",), ("photo_own",), ("photo_max_z",), ("anatomy", "photo_max_z"),
                  ("knn", "photo_own")]:
        key = "+".join(combo)
        if len(combo) > 1:  # max of two scores: each normalised by its known median and interquartile range
            for s in combo:
                med, iqr = np.median(ref[s]), np.subtract(*np.quantile(ref[s], [0.75, 0.25]))
                for out in (*scores.values(), ref):
                    out[f"z_{s}"] = (out[s] - med) / iqr
            combo = tuple(f"z_{s}" for s in combo)
        report[key] = {"validation": evaluate(scores["val"], scores["openval"], np.array(
            [r["name"] for r in sets["openval"].rows]), combo, args.acceptance, sets["val"].labels, ref)}
        if args.test:
            report[key]["test"] = evaluate(scores["test"], scores["open_test"], np.array(
                [r["name"] for r in sets["open_test"].rows]), combo, args.acceptance, sets["test"].labels, ref)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
