"""The crop-grid experiment behind training/wood-grid4.yaml (docs/wood.md), on validation data only.

Scores a wood package at several crops-per-photo grids on known photos of generator seed 4 and the five
validation open-set genera (seed 3), and prints per grid: the AUROC of each open-set score, the score the
training pipeline's selection rule would choose, and the share of unknowns it abstains on at 96.5 % acceptance.

    .venv/bin/python scripts/wood_crop_grid_experiment.py --package models/wood-classifier --grids 2 3 4 5 6
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from smartinspect.datagen.wood import KNOWN_TAXA
from smartinspect.datagen.wood.dataset import read_index
from smartinspect.lifecycle.wood_kind import _classifier
from smartinspect.training.wood import ensure_dataset
from smartinspect.training.wood_package import choose_open_set_rule
from smartinspect.wood.evaluate import auroc, run_photos
from smartinspect.wood.taxa import load_taxa


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, default=Path("models/wood-classifier"))
    ap.add_argument("--grids", type=int, nargs="+", default=[2, 3, 4, 5, 6])
    ap.add_argument("--data", type=Path, default=Path("datasets/wood/generated-grid-experiment"))
    args = ap.parse_args()
    taxa, table = list(KNOWN_TAXA), load_taxa()
    known_dir = ensure_dataset(args.data / "known-val", taxa=taxa, per_taxon=30, seed=4, splits=(0.0, 0.0, 1.0))
    open_dir = ensure_dataset(args.data / "openval", taxa=taxa, per_taxon=0, seed=3, splits=(0.85, 0.15, 0),
                              open_set_per_taxon=60, open_set="validation")
    known_rows = [r for r in read_index(known_dir) if r["split"] == "test"]
    open_rows = [r for r in read_index(open_dir) if r["split"] == "open_set"]
    for grid in args.grids:
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / "package"
            shutil.copytree(args.package, package)
            manifest = json.loads((package / "manifest.json").read_text())
            manifest["params"]["grid"] = grid
            (package / "manifest.json").write_text(json.dumps(manifest))
            classifier = _classifier(package)
            known = run_photos(classifier, known_dir, known_rows, table=table)
            unknown = run_photos(classifier, open_dir, open_rows, table=table)
        aurocs = {s: round(auroc([o.scores()[s] for o in unknown], [o.scores()[s] for o in known]), 4)
                  for s in ("distance", "knn", "energy")}
        rule, _ = choose_open_set_rule(known, unknown, acceptance=0.965, taxa=taxa, min_class_acceptance=0.0)
        params = dataclasses.replace(classifier.params, open_set=rule)
        accepted = np.mean([params.open_set_value(o.scores(), o.probabilities) <= 1 for o in known])
        abstained = np.mean([params.open_set_value(o.scores(), o.probabilities) > 1 for o in unknown])
        print(f"grid {grid}x{grid}: AUROC {aurocs}; chosen {rule.score}: known accepted {accepted:.3f}, "
              f"unknown abstained {abstained:.3f}", flush=True)


if __name__ == "__main__":
    main()
