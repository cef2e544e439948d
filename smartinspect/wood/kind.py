"""The wood classifier's lifecycle adapter: frozen evaluation set, gated metrics, training, example overlays.

Photos go through the served path (``smartinspect.wood.evaluate.run_photos``: decode, gate, ONNX, decision) at
the thresholds the package ships with.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from smartinspect.domain.tasks import WOOD_TASK
from smartinspect.lifecycle.calibration import ece_statistic, mean_statistic
from smartinspect.lifecycle.gate import EventRate
from smartinspect.lifecycle.kinds import EvalSet, EvalSetSpec
from smartinspect.runtime.registry import load_package
from smartinspect.wood.datagen.genera import KNOWN_TAXA

log = logging.getLogger(__name__)
EVAL_SPLITS = ("test", "open_set", "ood")


def ensure_eval_set(spec: EvalSetSpec) -> EvalSet:
    """Generate the frozen photo set once (``generator``: taxa, per_taxon, open_set_per_taxon, ood_per_kind, size)."""
    from smartinspect.wood.datagen import KNOWN_TAXA
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.train.data import dataset_fingerprint
    from smartinspect.wood.train.pipeline import ensure_dataset

    g = spec.generator
    if "per_taxon" not in g:
        raise ValueError("a wood eval_set needs generator.per_taxon (photos per known taxon)")
    ensure_dataset(spec.path, taxa=list(g.get("taxa") or KNOWN_TAXA), per_taxon=int(g["per_taxon"]), seed=spec.seed,
                   splits=(0.0, 0.0, 1.0), open_set_per_taxon=int(g.get("open_set_per_taxon", 0)),
                   ood_per_kind=int(g.get("ood_per_kind", 0)), size=int(g.get("size", 384)))
    sha = dataset_fingerprint(spec.path)
    if spec.sha256 and sha != spec.sha256:
        raise ValueError(f"frozen evaluation set {spec.path} has sha256 {sha}, but the promotion config pins "
                         f"{spec.sha256}: it changed, so results would not compare with earlier promotions")
    n = sum(1 for r in read_index(spec.path) if r["split"] in EVAL_SPLITS)
    return EvalSet(spec.path, "test", sha, n, spec.seed)


def load_classifier(package: Path):
    """The package's classifier on CPU, without warm-up (evaluation, probes)."""
    from smartinspect.wood.inferencer import WoodClassifier

    return WoodClassifier(load_package(package))


def gate_metrics(outcomes, params, table) -> dict[str, float]:
    """Gated: ``recall_<genus>`` (known photos accepted with the right genus, at the package's thresholds),
    ``misidentification_rate`` (known photos accepted with a wrong genus, of all known photos: the wood analogue of
    a false alarm; until 2026-11-24 it was of the accepted photos only),
    ``unknown_accepted_rate`` (open-set and non-wood photos given a call), ``nonwood_accepted_rate`` (non-wood
    photos given a call: the issue asks that they always abstain; since 2026-11-25), ``brier`` and ``ece`` of the
    calibrated class probabilities. Informative: ``genus_top1``, ``known_accepted``."""
    from smartinspect.wood.evaluate import ECE_BINS, summarise, top_confidence

    taxa, genera = list(params.taxa), list(params.genera)
    known = [o for o in outcomes if o.kind == "known"]
    metrics: dict[str, float] = {}
    for genus in sorted(set(genera)):
        these = [o for o in known if table.genus_of(o.name) == genus]
        right = [not o.abstained and o.call is not None and table.genus_of(o.call) == genus for o in these]
        metrics[f"recall_{genus}"] = float(np.mean(right)) if these else float("nan")
    # Event rates keep one event per photo of the frozen set, so the gate can compare two models photo by photo
    # (EventRate; photos outside a rate's population do not count).
    metrics["misidentification_rate"] = EventRate(
        None if o.kind != "known" else (not o.abstained and o.call is not None
                                        and table.genus_of(o.call) != table.genus_of(o.name)) for o in outcomes)
    metrics["unknown_accepted_rate"] = EventRate(None if o.kind == "known" else not o.abstained for o in outcomes)
    metrics["nonwood_accepted_rate"] = EventRate(None if o.kind != "ood" else not o.abstained for o in outcomes)
    # Brier and ECE keep each known photo's share, so the gate can compare two models on paired bootstrap
    # resamples of the same photos (ResampledStatistic).
    if known:
        probs = np.stack([o.probabilities for o in known]).astype(np.float64)
        truth = np.array([taxa.index(o.name) for o in known])
        metrics["brier"] = mean_statistic(((probs - np.eye(len(taxa))[truth]) ** 2).sum(axis=1))
        metrics["ece"] = ece_statistic(top_confidence(probs), probs.argmax(1) == truth, bins=ECE_BINS)
    else:
        metrics["brier"] = metrics["ece"] = float("nan")
    summary = summarise(outcomes, params, table)
    metrics.update(genus_top1=summary.get("genus_top1", float("nan")),
                   known_accepted=summary.get("known_accepted", float("nan")))
    return metrics


def evaluate_package(package: Path, eval_set: EvalSet) -> dict[str, float]:
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.evaluate import run_photos
    from smartinspect.wood.taxa import load_taxa

    classifier = load_classifier(package)
    table = load_taxa()
    rows = [r for r in read_index(eval_set.path) if r["split"] in EVAL_SPLITS]
    outcomes = run_photos(classifier, eval_set.path, rows, table=table)
    return gate_metrics(outcomes, classifier.params, table)


def train(config: Path, *, settings, feedback: Path | None = None, synthetic_share: float | None = None) -> Path:
    if feedback is None:
        from smartinspect.wood.train.pipeline import train_wood

        return train_wood(config, settings=settings)
    from smartinspect.wood.train.feedback import train_wood_with_feedback

    return train_wood_with_feedback(config, feedback, settings=settings, synthetic_share=synthetic_share)


def log_examples(package: Path, *, params: dict[str, Any], client, run_id: str, limit: int = 4) -> int:
    """Held-out photos with the served call written on them, under ``examples/`` of the run."""
    import tempfile

    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.evaluate import run_photos
    from smartinspect.wood.taxa import load_taxa

    test_dir = params.get("data.test_dir")
    if not test_dir or not (Path(test_dir) / "images.jsonl").is_file():
        log.warning("no wood test set at %r: no example overlays logged", test_dir)
        return 0
    rows = [r for r in read_index(Path(test_dir)) if r["split"] in EVAL_SPLITS][:: 7][:limit]
    outcomes = run_photos(load_classifier(package), Path(test_dir), rows, table=load_taxa())
    with tempfile.TemporaryDirectory() as tmp:
        for i, (row, outcome) in enumerate(zip(rows, outcomes, strict=True)):
            image = cv2.imread(str(Path(test_dir) / row["file"]), cv2.IMREAD_COLOR)
            said = "abstained" if outcome.abstained else f"call: {outcome.call}"
            for y, text in ((20, f"truth: {row['name']} ({row['kind']})"), (42, said)):
                cv2.putText(image, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
                cv2.putText(image, text, (8, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
            cv2.imwrite(str(Path(tmp) / f"{i:02d}.png"), image)
        client.log_artifacts(run_id, tmp, artifact_path="examples")
    return len(rows)


class WoodKind:
    """The wood classifier as a ``ModelKind`` (smartinspect.lifecycle.kinds)."""

    name = "wood"
    model_name = "wood-classifier"
    task = WOOD_TASK
    classes = tuple(KNOWN_TAXA)
    ensure_eval_set = staticmethod(ensure_eval_set)
    evaluate_package = staticmethod(evaluate_package)
    train = staticmethod(train)
    log_examples = staticmethod(log_examples)


WOOD = WoodKind()
