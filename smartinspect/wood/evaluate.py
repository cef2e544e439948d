"""Metrics of the served wood model on a generated dataset: accuracy, calibration, open set, out-of-distribution.

Photos go through exactly the serving path (decode_photo -> analysis_view -> ONNX model -> gate -> decision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.lifecycle.calibration import expected_calibration_error
from smartinspect.wood.decision import call_image
from smartinspect.wood.decode import decode_photo
from smartinspect.wood.inferencer import WoodClassifier, WoodModelParams
from smartinspect.wood.preprocess import analysis_view
from smartinspect.wood.taxa import TaxonTable, load_taxa
from smartinspect.wood.types import open_set_scores

ECE_BINS = 15  # equal-width bins of the top class's probability (Guo et al. 2017)


def top_confidence(probs: np.ndarray) -> np.ndarray:
    """The top class's probability per row, clipped to [0, 1] against float32 rounding (a softmax may sum to
    1 + 1e-7)."""
    return np.clip(probs.max(axis=1).astype(np.float64), 0.0, 1.0)


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a positive scores higher than a negative (ties count half)."""
    pos, neg = np.asarray(positive, np.float64), np.asarray(negative, np.float64)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    scores = np.concatenate([pos, neg])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def genus_matrix(probs: np.ndarray, genera: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Sum class probabilities per genus: (n, classes) -> (n, genera), with the genus names."""
    names = sorted(set(genera))
    out = np.zeros((len(probs), len(names)))
    for k, g in enumerate(genera):
        out[:, names.index(g)] += probs[:, k]
    return out, names


@dataclass
class PhotoOutcome:
    """One evaluated photo: its label (taxon or kind), probabilities, scores and the decision."""

    name: str
    kind: str  # known | open_set | ood
    probabilities: np.ndarray
    distance: float
    energy: float
    knn: float
    abstained: bool
    abstain_reason: str | None
    call: str | None
    anatomy: float | None = None
    gate: dict[str, Any] = field(default_factory=dict)  # the gate's verdict and the view's statistics

    def scores(self) -> dict[str, float]:
        return open_set_scores(self.distance, self.energy, self.knn, self.anatomy)


def run_photos(classifier: WoodClassifier, dataset_dir: Path, rows: Sequence[dict], *, table: TaxonTable,
               batch: int = 16) -> list[PhotoOutcome]:
    params = classifier.params
    out: list[PhotoOutcome] = []
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        views = []
        for row in chunk:
            photo = decode_photo((Path(dataset_dir) / row["file"]).read_bytes(), max_pixels=10**9, min_side=16,
                                 analysis_side=params.analysis_side)
            views.append(analysis_view(photo.rgb, params.analysis_side))
        scores = classifier.score_views(views)
        for row, view, s in zip(chunk, views, scores, strict=True):
            decision = call_image(0, s, params.wood_likeness(view, s), params, table)
            out.append(PhotoOutcome(row["name"], row["kind"], np.asarray(s.probabilities), s.open_set_distance,
                                    s.energy, s.knn, decision.abstained, decision.abstain_reason, decision.call,
                                    s.anatomy, decision.gate))
    return out


def summarise(outcomes: Sequence[PhotoOutcome], params: WoodModelParams,
              table: TaxonTable | None = None) -> dict[str, float]:
    """Headline metrics (see docs/wood.md for their definitions)."""
    table = table or load_taxa()
    params_taxa, params_genera = params.taxa, params.genera
    known = [o for o in outcomes if o.kind == "known"]
    unseen = [o for o in outcomes if o.kind == "open_set"]
    ood = [o for o in outcomes if o.kind == "ood"]
    m: dict[str, float] = {"known_photos": float(len(known)), "open_set_photos": float(len(unseen)),
                           "ood_photos": float(len(ood))}
    if known:
        probs = np.stack([o.probabilities for o in known])
        true_class = np.array([list(params_taxa).index(o.name) for o in known])
        gprobs, gnames = genus_matrix(probs, params_genera)
        true_genus = np.array([gnames.index(table.genus_of(o.name)) for o in known])
        ranked = np.argsort(-gprobs, axis=1)
        m["genus_top1"] = float((ranked[:, 0] == true_genus).mean())
        m["genus_top3"] = float((ranked[:, :3] == true_genus[:, None]).any(axis=1).mean())
        m["class_top1"] = float((probs.argmax(1) == true_class).mean())
        m["ece"] = expected_calibration_error(top_confidence(probs), probs.argmax(1) == true_class, bins=ECE_BINS)
        m["ece_genus"] = expected_calibration_error(top_confidence(gprobs), ranked[:, 0] == true_genus, bins=ECE_BINS)
        m["known_accepted"] = float(np.mean([not o.abstained for o in known]))
        accepted = [o for o in known if not o.abstained and o.call]
        m["accepted_genus_correct"] = float(np.mean([table.genus_of(o.call) == table.genus_of(o.name)
                                                     for o in accepted])) if accepted else float("nan")
    if known and unseen:
        def shipped(these: Sequence[PhotoOutcome]) -> list[float]:
            return [params.open_set_value(o.scores(), o.probabilities) for o in these]

        m["open_set_auroc"] = auroc(shipped(unseen), shipped(known))  # the score the service gates on
        m["open_set_auroc_distance"] = auroc([o.distance for o in unseen], [o.distance for o in known])
        m["open_set_auroc_energy"] = auroc([o.energy for o in unseen], [o.energy for o in known])
        m["open_set_auroc_knn"] = auroc([o.knn for o in unseen], [o.knn for o in known])
        if all(o.anatomy is not None for o in known + unseen):
            m["open_set_auroc_anatomy"] = auroc([o.anatomy for o in unseen], [o.anatomy for o in known])
        m["open_set_auroc_msp"] = auroc([-o.probabilities.max() for o in unseen],
                                        [-o.probabilities.max() for o in known])
        m["open_set_abstained"] = float(np.mean([o.abstained for o in unseen]))
        for genus in sorted({o.name for o in unseen}):
            these = [o for o in unseen if o.name == genus]
            m[f"open_set_abstained_{genus}"] = float(np.mean([o.abstained for o in these]))
            m[f"open_set_auroc_{genus}"] = auroc(shipped(these), shipped(known))
    if ood:
        m["ood_abstained"] = float(np.mean([o.abstained for o in ood]))
        for kind in sorted({o.name for o in ood}):
            m[f"ood_abstained_{kind}"] = float(np.mean([o.abstained for o in ood if o.name == kind]))
    return m
