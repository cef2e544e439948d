"""Where the served X-ray detector fails: object recall by class and by how visible the threat is.

For every ground-truth threat of a labelled split it takes the generator's own visibility figures from the manifest
(``threat_attenuation``: the threat's mean own attenuation A; ``visible_fraction``: share of its pixels above the
noise floor) and its box size, and asks whether the served pipeline found it (same class, IoU >= 0.5) at the
REVIEW threshold and at any score >= the model's min_score. It also counts false detections per clean scan.
Separates "the threat is physically faint" from "the network has not learned it" (docs/xray.md).

    smartinspect evaluate xray-visibility --dataset datasets/xray/generated-test --split test
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smartinspect.xray.dataset import iter_scans
from smartinspect.xray.evaluate import box_found, run_dataset
from smartinspect.xray.pipeline import ScanAnalyzer


def visibility_breakdown(analyzer: ScanAnalyzer, dataset: Path, splits: list[str], *,
                         limit: int | None = None) -> dict:
    """Recall per class and per attenuation tercile, and false detections per clean scan (JSON-ready)."""
    p = analyzer.detector.params
    evals = {(split, ev.scan_id): ev for split in splits
             for ev in run_dataset(analyzer, dataset, split, limit=limit, progress=True)}
    rows = []
    for record in (r for split in splits for r in iter_scans(dataset, split)):
        ev = evals.get((record.split, record.scan_id))
        if ev is None:
            continue
        for t in record.manifest.get("threats", []):
            x1, y1, x2, y2 = t["box"]
            rows.append({"class": t["class_name"], "attenuation": float(t.get("threat_attenuation", np.nan)),
                         "visible_fraction": float(t.get("visible_fraction", np.nan)),
                         "side_px": float(np.sqrt((x2 - x1) * (y2 - y1))),
                         "found_review": box_found(ev.detections.above(p.review_threshold), t["class_id"], t["box"]),
                         "found_any": box_found(ev.detections.above(p.min_score), t["class_id"], t["box"])})
    result: dict = {"model": analyzer.detector.version,
                    "scans": len(evals), "threats": len(rows), "by_class": {}}
    for cls in sorted({r["class"] for r in rows}):
        these = [r for r in rows if r["class"] == cls]
        att = np.array([r["attenuation"] for r in these])
        edges = np.quantile(att, [0, 1 / 3, 2 / 3, 1])
        bins = []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            inside = [r for r in these if lo <= r["attenuation"] <= hi]
            bins.append({"attenuation": [round(float(lo), 3), round(float(hi), 3)], "n": len(inside),
                         "median_side_px": round(float(np.median([r["side_px"] for r in inside])), 1),
                         "median_visible_fraction": round(float(np.median([r["visible_fraction"] for r in inside])),
                                                          3),
                         "recall_review": round(float(np.mean([r["found_review"] for r in inside])), 3),
                         "recall_any_score": round(float(np.mean([r["found_any"] for r in inside])), 3)})
        result["by_class"][cls] = {"n": len(these),
                                   "recall_review": round(float(np.mean([r["found_review"] for r in these])), 3),
                                   "recall_any_score": round(float(np.mean([r["found_any"] for r in these])), 3),
                                   "by_attenuation_tercile": bins}
    clean = [ev for ev in evals.values() if not ev.gt]
    result["false_detections_per_clean_scan"] = {
        "review": round(float(np.mean([len(ev.detections.above(p.review_threshold)) for ev in clean])), 3),
        "any_score": round(float(np.mean([len(ev.detections.above(p.min_score)) for ev in clean])), 3),
        "clean_scans": len(clean)}
    return result
