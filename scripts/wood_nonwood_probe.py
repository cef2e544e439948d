"""Non-wood probe on photos that are not the test set's: how many photos of other things (skin, cardboard, sand,
...) each model package accepts as wood, per scene, through the served path (gate, ONNX, open set, decision).

The held-out test has 40 such photos (seed 2026); this probe draws 220 with another generator seed, so a change
can be judged on the non-wood target without looking at the test photos again (docs/wood.md, experiment 14).

    python scripts/wood_nonwood_probe.py --package models/wood-classifier [--package OTHER ...] [--seed 5000]
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from pathlib import Path

from smartinspect.datagen.wood.dataset import generate_dataset, read_index
from smartinspect.lifecycle.wood_kind import _classifier
from smartinspect.wood.evaluate import run_photos
from smartinspect.wood.taxa import load_taxa


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", type=Path, action="append", required=True, help="a model package folder")
    ap.add_argument("--seed", type=int, default=5000, help="generator seed (not the test seed 2026)")
    ap.add_argument("--photos", type=int, default=220)
    ap.add_argument("--out", type=Path, default=Path("var/probe/wood-nonwood"))
    args = ap.parse_args()
    out = args.out / f"seed{args.seed}-n{args.photos}"
    if not (out / "images.jsonl").exists():
        generate_dataset(out, per_taxon=0, seed=args.seed, ood_per_kind=args.photos, open_set_per_taxon=0, workers=2)
    rows = [r for r in read_index(out) if r["split"] == "ood" and r["name"] == "photo"]
    table = load_taxa()
    for package in args.package:
        outcomes = run_photos(_classifier(package), out, rows, table=table)
        accepted, total, calls = Counter(), Counter(), defaultdict(Counter)
        for row, o in zip(rows, outcomes, strict=True):
            scene = row["params"]["scene"]
            total[scene] += 1
            if not o.abstained:
                accepted[scene] += 1
                calls[scene][o.call] += 1
        print(f"{package}: accepted {sum(accepted.values())} of {len(rows)} non-wood photos")
        for scene in sorted(total):
            named = ", ".join(f"{c} {n}" for c, n in calls[scene].most_common())
            print(f"  {scene:10s} {accepted[scene]:3d} / {total[scene]:3d}  {named}")


if __name__ == "__main__":
    main()
