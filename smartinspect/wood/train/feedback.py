"""``smartinspect train wood --with-feedback DIR``: merge expert-labelled wood photos with the synthetic set, then train.

The same recipe as the X-ray merge (:mod:`smartinspect.xray.train.feedback`): the feedback photos are written
into the generated-dataset layout (``images.jsonl`` rows beside links to the synthetic images), so the usual
training pipeline reads both with the same code. At least ``synthetic_share`` of the training photos stay
synthetic, so what the model knows is not forgotten. The mix goes into the recipe's ``data`` block (MLflow
parameters) and ``feedback/mix.json`` on the run (``feedback_merge``).

An expert label names a genus and sometimes a species; the classifier's classes are taxa, some of them species
(``Dalbergia nigra``, ``Dalbergia latifolia``), most of them genera. A label maps to the class with that exact
name, else to the only class of that genus. A genus the model has no class for (a new timber), or a genus with
several species classes and no species given, cannot become a training label for this model: such photos are
counted as ``feedback_unmapped`` and left out; adding a class is a recipe change, not a feedback run.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from smartinspect.lifecycle.feedback import FeedbackSnapshot, WoodFeedbackExample, read_feedback
from smartinspect.lifecycle.feedback_merge import (
    FeedbackMix,
    check_synthetic_share,
    feedback_options,
    link,
    make_mix,
    split_feedback,
    train_on_merged,
    write_merged_info,
)
from smartinspect.training.recipe import load_recipe

log = logging.getLogger(__name__)
TRAIN_SPLITS = ("train", "val")


def taxon_for(genus: str, species: str | None, taxa: list[str]) -> str | None:
    """The model class an expert label maps to, or None (see the module docstring)."""
    genus = genus.strip()
    if species and species.strip():
        name = species.strip()
        name = name if " " in name else f"{genus} {name}"  # "nigra" -> "Dalbergia nigra"
        if name in taxa:
            return name
    if genus in taxa:
        return genus
    same_genus = [t for t in taxa if t.split()[0] == genus]
    return same_genus[0] if len(same_genus) == 1 else None


def merge_wood_feedback(*, synthetic_dir: Path, snapshot: FeedbackSnapshot, out_dir: Path, taxa: list[str],
                        synthetic_share: float, val_fraction: float, seed: int) -> FeedbackMix:
    """Write ``out_dir`` (generated-dataset layout): the synthetic train/val photos + the mapped feedback photos,
    capped so that synthetic photos stay >= ``synthetic_share`` of the training split."""
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.train.data import dataset_fingerprint

    check_synthetic_share(synthetic_share)
    synthetic_dir, out_dir = Path(synthetic_dir), Path(out_dir)
    shutil.rmtree(out_dir, ignore_errors=True)
    rows = [r for r in read_index(synthetic_dir) if r["split"] in TRAIN_SPLITS]
    for row in rows:
        link(synthetic_dir / row["file"], out_dir / row["file"])
    syn = {s: sum(1 for r in rows if r["split"] == s) for s in TRAIN_SPLITS}
    mapped: list[tuple[WoodFeedbackExample, str]] = []
    for ex in snapshot.wood_examples():
        taxon = taxon_for(ex.genus, ex.species, taxa)
        if taxon is None:
            log.info("feedback %s (%s %s) has no class in this model: left out", ex.example_id, ex.genus,
                     ex.species or "")
        else:
            mapped.append((ex, taxon))
    split = split_feedback([ex.example_id for ex, _ in mapped], synthetic_train=syn["train"],
                           synthetic_share=synthetic_share, val_fraction=val_fraction, seed=seed)
    for index, (ex, taxon) in enumerate(mapped):
        if (which := split.split_of(ex.example_id)) is None:
            continue
        rel = f"feedback/{which}/{ex.example_id}{ex.suffix.lower()}"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_bytes(ex.image)
        rows.append({"file": rel, "taxon": taxon, "genus": taxon.split()[0], "name": taxon, "split": which,
                     "kind": "known", "index": index,
                     "params": {"source": "feedback", "feedback_snapshot": snapshot.snapshot_id,
                                "expert_genus": ex.genus, "expert_species": ex.species, "review": ex.source}})
    with open(out_dir / "images.jsonl", "w") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    mix = make_mix(snapshot, synthetic_sha256=dataset_fingerprint(synthetic_dir), synthetic_train=syn["train"],
                   synthetic_val=syn["val"], split=split, synthetic_share=synthetic_share,
                   unmapped=len(snapshot.entries) - len(mapped))
    write_merged_info(synthetic_dir, out_dir, mix)
    return mix


def train_wood_with_feedback(config_path: Path, feedback_dir: Path, *, settings,
                             synthetic_share: float | None = None) -> Path:
    """Merge the snapshot into the recipe's synthetic photos and run the usual training on the merged set."""
    from smartinspect.wood.train.pipeline import WoodTrainConfig, ensure_dataset, train_wood

    raw = load_recipe(config_path)  # the merged recipe is written out whole: no ``extends`` left
    cfg = WoodTrainConfig.from_yaml(config_path)
    share, val_fraction = feedback_options(raw, synthetic_share)
    snapshot = read_feedback(feedback_dir, kind="wood")
    d = cfg.data
    synthetic = ensure_dataset(Path(d["train_dir"]), per_taxon=d["per_taxon"], seed=d["train_seed"],
                               splits=(0.85, 0.15, 0.0), taxa=cfg.taxa, size=d.get("size", 384),
                               workers=d.get("workers", 1))
    work = settings.data_dir / "feedback-runs" / f"{cfg.name}-{snapshot.snapshot_id}"
    mix = merge_wood_feedback(synthetic_dir=synthetic, snapshot=snapshot, out_dir=work / "data", taxa=cfg.taxa,
                              synthetic_share=share, val_fraction=val_fraction, seed=cfg.seed)
    if mix.feedback_train + mix.feedback_val == 0:
        raise ValueError(f"feedback snapshot {snapshot.snapshot_id}: none of its {len(snapshot.entries)} labels "
                         f"maps to a class of {cfg.name} ({mix.feedback_unmapped} unmapped); nothing to learn")
    return train_on_merged(raw, config_path=config_path, feedback_dir=feedback_dir, work=work, synthetic_dir=synthetic,
                           mix=mix, train=train_wood, settings=settings, experiment=cfg.name)
