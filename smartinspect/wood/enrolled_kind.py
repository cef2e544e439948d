"""An enrolled reference collection as a ``ModelKind``: registered at enrollment, gated and promoted like a trained
model (``smartinspect promote wood-enrolled``), exported into ``models/wood-enrolled``, hot-reloaded.

What the gate compares (training/promote-wood-enrolled.yaml, docs/wood.md "Promotion"):

- the package's own references, scored at enrollment with each specimen left out and the whitening refitted
  (``manifest.metrics.calibration``): top-1, the share given a wrong call, and the share of left-out-taxon
  photos that abstain. A lab has no frozen set of held-out photos of its own taxa, and a collection that gains a
  taxon has no earlier model to compare on that taxon; its own references, specimen by specimen, are what both
  packages can be judged on. The bank's sha256 is checked on load, so the figures belong to the bank that serves.
- a frozen set of non-wood photos (synthetic documents, noise and scenes from a seed; the real photos scikit-image
  ships; real X-ray samples when ``generator.xray_dir`` exists) through the served path: none may be given a call.
- the number of taxa: a collection that knows more taxa is better (so adding taxa is a promotion), never fewer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

from smartinspect.domain.tasks import WOOD_ENROLLED_TASK
from smartinspect.lifecycle.gate import EventRate
from smartinspect.lifecycle.kinds import EvalSet, EvalSetSpec

log = logging.getLogger(__name__)
INDEX = "index.json"


def ensure_eval_set(spec: EvalSetSpec) -> EvalSet:
    """Write the frozen non-wood photos once (``generator``: per_kind synthetic photos of each kind, xray_dir)."""
    index_path = spec.path / INDEX
    if not index_path.is_file():
        _write_nonwood(spec)
    index = json.loads(index_path.read_text())
    digest = hashlib.sha256()
    for row in index:
        digest.update(row["name"].encode())
        digest.update((spec.path / row["file"]).read_bytes())
    sha = digest.hexdigest()
    if spec.sha256 and sha != spec.sha256:
        raise ValueError(f"frozen evaluation set {spec.path} has sha256 {sha}, but the promotion config pins "
                         f"{spec.sha256}: it changed, so results would not compare with earlier promotions")
    return EvalSet(spec.path, "nonwood", sha, len(index), spec.seed)


def _write_nonwood(spec: EvalSetSpec) -> None:
    import cv2

    from smartinspect.wood.train.enroll_measure import nonwood_views

    g = spec.generator
    xray = Path(g["xray_dir"]) if g.get("xray_dir") else None
    views = nonwood_views(xray, seed=spec.seed, per_kind=int(g.get("per_kind", 20)))
    spec.path.mkdir(parents=True, exist_ok=True)
    index = []
    for i, (name, view) in enumerate(views):
        file = f"{i:03d}.png"
        cv2.imwrite(str(spec.path / file), cv2.cvtColor(view, cv2.COLOR_RGB2BGR))
        index.append({"file": file, "name": name})
    (spec.path / INDEX).write_text(json.dumps(index, indent=1) + "\n")


def nonwood_calls(classifier, eval_set: EvalSet) -> list[bool]:
    """Whether each frozen non-wood photo is given a call (a taxon) by ``classifier`` through the served decision."""
    import cv2

    from smartinspect.wood.decision import call_image

    index = json.loads((eval_set.path / INDEX).read_text())
    views = [cv2.cvtColor(cv2.imread(str(eval_set.path / r["file"]), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
             for r in index]
    params, table = classifier.params, classifier.table
    return [not call_image(0, s, params.wood_likeness(v, s), params, table).abstained
            for v, s in zip(views, classifier.score_views(views), strict=True)]


def evaluate_package(package: Path, eval_set: EvalSet) -> dict[str, float]:
    """Gated: ``loso_top1``, ``loso_called_wrong``, ``left_out_abstained`` (the package's references, specimens
    left out), ``nonwood_accepted_rate`` (frozen non-wood photos given a call), ``taxa``. Informative:
    ``loso_accepted`` (references given a call), ``reference_photos``."""
    from smartinspect.runtime import load_package
    from smartinspect.wood.enrolled import EnrolledClassifier

    classifier = EnrolledClassifier(load_package(package))
    manifest = json.loads((package / "manifest.json").read_text())
    calibration = manifest.get("metrics", {}).get("calibration", {})

    def figure(key: str) -> float:
        value = calibration.get(key)
        return float(value) if isinstance(value, int | float) else math.nan  # None: nothing to score

    return {"loso_top1": figure("loso_top1"), "loso_called_wrong": figure("loso_called_wrong"),
            "left_out_abstained": figure("left_out_abstained"), "loso_accepted": figure("loso_accepted"),
            "nonwood_accepted_rate": EventRate(nonwood_calls(classifier, eval_set)),
            "taxa": float(len(classifier.params.taxa)),
            "reference_photos": float(manifest.get("references", {}).get("photos", math.nan))}


def train(config: Path, *, settings, feedback: Path | None = None, synthetic_share: float | None = None) -> Path:
    """Enroll the references a recipe names (``references``, optional ``source``, ``output``, ``append_to``) and
    register the package as the challenger. Nothing is trained; expert feedback is not merged: confirmed photos
    become references by copying them into the taxon folders."""
    import yaml

    from smartinspect.wood.train.enroll_package import enroll

    if feedback is not None or synthetic_share is not None:
        raise ValueError("an enrolled collection learns from references, not feedback snapshots: copy the "
                         "expert-confirmed photos into DIR/<taxon>/ and enroll again")
    recipe = yaml.safe_load(Path(config).read_text()) or {}
    if "references" not in recipe:
        raise ValueError(f"{config}: a wood-enrolled recipe needs 'references' (one folder per taxon)")
    out = Path(recipe.get("output") or settings.data_dir / "candidates" / "wood-enrolled")
    append_to = Path(recipe["append_to"]) if recipe.get("append_to") else None
    return enroll(Path(recipe["references"]), out, settings=settings, source=recipe.get("source"),
                  append_to=append_to, register=True).package


def log_examples(package: Path, *, params: dict[str, Any], client, run_id: str, limit: int = 4) -> int:
    """No held-out photos exist for an enrolled collection; nothing is drawn (its card lists the references)."""
    return 0


class WoodEnrolledKind:
    """A lab's enrolled reference collection as a ``ModelKind`` (smartinspect.lifecycle.kinds)."""

    name = "wood-enrolled"
    model_name = "wood-enrolled"
    task = WOOD_ENROLLED_TASK
    classes: tuple[str, ...] = ()  # the taxa are the collection's own, per package (manifest params.taxa)
    ensure_eval_set = staticmethod(ensure_eval_set)
    evaluate_package = staticmethod(evaluate_package)
    train = staticmethod(train)
    log_examples = staticmethod(log_examples)


WOOD_ENROLLED = WoodEnrolledKind()
