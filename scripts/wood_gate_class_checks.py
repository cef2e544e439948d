"""Per-class checks in the wood gate, judged before shipping one (docs/wood.md, experiment 15): for a structure
floor per predicted class (a quantile of each class's training photos) and a colour range per predicted class (each
class's training range widened by a margin), how many photos each would newly stop among

- the held-out known photos the open-set thresholds use (validation split and the calibration set; the cost),
- the photos of other things of a non-wood probe (generator seed 5000 by default, not the test seed; the gain),
- the photos of the validation open-set genera (a side effect).

Only photos the package accepts without the per-class checks count as "newly" stopped. The package's own per-class
ranges, if it has any, are ignored, so a shipped package can be re-examined.

    python scripts/wood_gate_class_checks.py [--package models/wood-classifier] [--probe-seed 5000]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from smartinspect.config import get_settings
from smartinspect.datagen.wood.dataset import generate_dataset, read_index
from smartinspect.lifecycle.wood_kind import _classifier
from smartinspect.training.wood import WoodTrainConfig
from smartinspect.training.wood_data import load_views
from smartinspect.wood.evaluate import run_photos
from smartinspect.wood.gate import calibrate_gate, view_statistics
from smartinspect.wood.taxa import load_taxa


def outcomes(classifier, dataset: Path, rows: list[dict]) -> list[dict]:
    """Per photo, through the served path: the called class, whether the package (without per-class checks)
    abstained, and the gate's statistics of its view."""
    taxa = classifier.params.taxa
    return [{**o.gate, "top": taxa[int(np.argmax(o.probabilities))], "abstained": o.abstained}
            for o in run_photos(classifier, dataset, rows, table=load_taxa())]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, default=Path("models/wood-classifier"))
    ap.add_argument("--config", type=Path, default=Path("training/wood-ensemble.yaml"))
    ap.add_argument("--probe-seed", type=int, default=5000)
    ap.add_argument("--quantiles", type=float, nargs="*", default=[0.002, 0.005, 0.01, 0.02])
    ap.add_argument("--margins", type=float, nargs="*", default=[0.25, 0.5, 1.0])
    args = ap.parse_args()
    cfg = WoodTrainConfig.from_yaml(args.config)
    d, side = cfg.data, cfg.model["analysis_side"]
    classifier = _classifier(args.package)
    classifier.params = replace(classifier.params, gate=replace(classifier.params.gate, class_colour={}))
    train = load_views(Path(d["train_dir"]), "train", taxa=cfg.taxa, side=side,
                       cache_dir=get_settings().data_dir / "cache" / "wood")
    train_stats = [view_statistics(v) for v in train.views]
    classes = [cfg.taxa[k] for k in train.labels]
    probe = Path("var/probe/wood-nonwood") / f"seed{args.probe_seed}-n220"
    if not (probe / "images.jsonl").exists():  # the same photos as scripts/wood_nonwood_probe.py
        generate_dataset(probe, per_taxon=0, seed=args.probe_seed, ood_per_kind=220, open_set_per_taxon=0, workers=2)

    def rows(folder: Path, split: str, name: str | None = None) -> list[dict]:
        return [r for r in read_index(folder) if r["split"] == split and (name is None or r["name"] == name)]

    known = (outcomes(classifier, Path(d["train_dir"]), rows(Path(d["train_dir"]), "val"))
             + outcomes(classifier, Path(d["calibration_dir"]), rows(Path(d["calibration_dir"]), "test")))
    nonwood = outcomes(classifier, probe, rows(probe, "ood", "photo"))
    unknown = outcomes(classifier, Path(d["open_set_val_dir"]), rows(Path(d["open_set_val_dir"]), "open_set"))
    glob = calibrate_gate(train_stats).min_structure
    print(f"{len(known)} held-out known photos ({sum(not o['abstained'] for o in known)} accepted), "
          f"{len(nonwood)} probe photos ({sum(not o['abstained'] for o in nonwood)} accepted), "
          f"{len(unknown)} validation unknowns ({sum(not o['abstained'] for o in unknown)} accepted)")
    print("| check | known accepted, newly stopped | probe photos outside | probe accepted, newly stopped | "
          "validation unknowns, newly stopped |\n|---|---|---|---|---|")

    def row(label: str, fails) -> None:
        def n(group, accepted_only):
            return sum(1 for o in group if (not accepted_only or not o["abstained"]) and fails(o))
        print(f"| {label} | {n(known, True)} | {n(nonwood, False)} | {n(nonwood, True)} | {n(unknown, True)} |")

    for q in args.quantiles:
        names = np.asarray(classes)
        structure = np.array([s["structure"] for s in train_stats])
        floor = {c: max(glob, float(np.quantile(structure[names == c], q))) for c in cfg.taxa}
        row(f"structure floor, class quantile {q}", lambda o, f=floor: o["structure"] < f[o["top"]])
    for margin in args.margins:
        colours = calibrate_gate(train_stats, classes=classes, class_margin=margin).class_colour
        row(f"colour range, margin {margin}", lambda o, c=colours: not c[o["top"]].contains(o))


if __name__ == "__main__":
    main()
