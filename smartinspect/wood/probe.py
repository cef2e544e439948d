"""Non-wood probe on photos that are not the test set's: how many photos of other things (skin, cardboard, sand,
...) each model package accepts as wood, per scene, through the served path (gate, ONNX, open set, decision).

The held-out test has 40 such photos (seed 2026); this probe draws 220 with another generator seed, so a change
can be judged on the non-wood target without looking at the test photos again (docs/wood.md, experiment 14).

    smartinspect evaluate wood-probe --package models/wood-classifier [--package OTHER ...] [--seed 5000]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from smartinspect.wood.datagen.dataset import generate_dataset, read_index
from smartinspect.wood.evaluate import run_photos
from smartinspect.wood.kind import load_classifier
from smartinspect.wood.taxa import load_taxa


def probe_nonwood(packages: list[Path], *, seed: int = 5000, photos: int = 220,
                  work: Path = Path("var/probe/wood-nonwood")) -> list[str]:
    """Generate (once) ``photos`` non-wood photos with ``seed`` and report, per package, what it accepted (lines)."""
    out = work / f"seed{seed}-n{photos}"
    if not (out / "images.jsonl").exists():
        generate_dataset(out, per_taxon=0, seed=seed, ood_per_kind=photos, open_set_per_taxon=0, workers=2)
    rows = [r for r in read_index(out) if r["split"] == "ood" and r["name"] == "photo"]
    table = load_taxa()
    lines = []
    for package in packages:
        outcomes = run_photos(load_classifier(package), out, rows, table=table)
        accepted, total, calls = Counter(), Counter(), defaultdict(Counter)
        for row, o in zip(rows, outcomes, strict=True):
            scene = row["params"]["scene"]
            total[scene] += 1
            if not o.abstained:
                accepted[scene] += 1
                calls[scene][o.call] += 1
        lines.append(f"{package}: accepted {sum(accepted.values())} of {len(rows)} non-wood photos")
        for scene in sorted(total):
            named = ", ".join(f"{c} {n}" for c, n in calls[scene].most_common())
            lines.append(f"  {scene:10s} {accepted[scene]:3d} / {total[scene]:3d}  {named}")
    return lines
