"""``smartinspect train wood --with-feedback DIR``: merge expert-labelled wood photos with the synthetic set, then train.

The same recipe as the X-ray merge (:mod:`smartinspect.lifecycle.xray_feedback`): the feedback photos are written
into the generated-dataset layout (``images.jsonl`` rows beside links to the synthetic images), so the usual
training pipeline reads both with the same code. At least ``synthetic_share`` of the training photos stay
synthetic, so what the model knows is not forgotten. The mix goes into the recipe's ``data`` block (MLflow
parameters) and ``feedback/mix.json`` on the run.

An expert label names a genus and sometimes a species; the classifier's classes are taxa, some of them species
(``Dalbergia nigra``, ``Dalbergia latifolia``), most of them genera. A label maps to the class with that exact
name, else to the only class of that genus. A genus the model has no class for (a new timber), or a genus with
several species classes and no species given, cannot become a training label for this model: such photos are
counted as ``feedback_unmapped`` and left out; adding a class is a recipe change, not a feedback run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from smartinspect.lifecycle.feedback import FeedbackSnapshot, WoodFeedbackExample, read_feedback

log = logging.getLogger(__name__)
DEFAULT_SYNTHETIC_SHARE = 0.5
DEFAULT_FEEDBACK_VAL_FRACTION = 0.2
TRAIN_SPLITS = ("train", "val")


@dataclass(frozen=True)
class WoodFeedbackMix:
    """What a wood feedback training run trained on (logged to MLflow)."""

    snapshot_id: str
    snapshot_sha256: str
    synthetic_dataset_sha256: str
    synthetic_train: int
    synthetic_val: int
    feedback_train: int
    feedback_val: int
    feedback_dropped: int  # over the cap that keeps the synthetic share
    feedback_unmapped: int  # labels with no class of this model (new genus, or genus without the species)
    synthetic_share_min: float
    synthetic_share: float  # actual share of synthetic photos in the training split

    @property
    def total(self) -> int:
        return self.synthetic_train + self.synthetic_val + self.feedback_train + self.feedback_val

    def as_params(self) -> dict[str, Any]:
        return {f"feedback_{k}" if not k.startswith(("feedback", "synthetic")) else k: v
                for k, v in asdict(self).items()}


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


def _is_val(example_id: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another filesystem: copy
        shutil.copy2(src, dst)


def merge_wood_feedback(*, synthetic_dir: Path, snapshot: FeedbackSnapshot, out_dir: Path, taxa: list[str],
                        synthetic_share: float, val_fraction: float, seed: int) -> WoodFeedbackMix:
    """Write ``out_dir`` (generated-dataset layout): the synthetic train/val photos + the mapped feedback photos,
    capped so that synthetic photos stay >= ``synthetic_share`` of the training split."""
    from smartinspect.datagen.wood.dataset import read_index
    from smartinspect.training.wood_data import dataset_fingerprint

    if not 0.0 < synthetic_share <= 1.0:
        raise ValueError(f"synthetic_share must be in (0, 1], got {synthetic_share}")
    synthetic_dir, out_dir = Path(synthetic_dir), Path(out_dir)
    shutil.rmtree(out_dir, ignore_errors=True)
    rows = [r for r in read_index(synthetic_dir) if r["split"] in TRAIN_SPLITS]
    for row in rows:
        _link(synthetic_dir / row["file"], out_dir / row["file"])
    syn = {s: sum(1 for r in rows if r["split"] == s) for s in TRAIN_SPLITS}
    examples: list[tuple[WoodFeedbackExample, str]] = []
    unmapped = 0
    for ex in snapshot.wood_examples():
        taxon = taxon_for(ex.genus, ex.species, taxa)
        if taxon is None:
            unmapped += 1
            log.info("feedback %s (%s %s) has no class in this model: left out", ex.example_id, ex.genus,
                     ex.species or "")
            continue
        examples.append((ex, taxon))
    val_ids = {ex.example_id for ex, _ in examples if _is_val(ex.example_id, val_fraction, seed)}
    train_ids = sorted(ex.example_id for ex, _ in examples if ex.example_id not in val_ids)
    cap = int(np.floor(syn["train"] * (1.0 - synthetic_share) / synthetic_share + 1e-9))
    rng = np.random.default_rng(seed)
    kept = set(rng.choice(train_ids, size=cap, replace=False).tolist()) if len(train_ids) > cap else set(train_ids)
    for index, (ex, taxon) in enumerate(examples):
        if ex.example_id not in val_ids and ex.example_id not in kept:
            continue
        split = "val" if ex.example_id in val_ids else "train"
        rel = f"feedback/{split}/{ex.example_id}{ex.suffix.lower()}"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_bytes(ex.image)
        rows.append({"file": rel, "taxon": taxon, "genus": taxon.split()[0], "name": taxon, "split": split,
                     "kind": "known", "index": index,
                     "params": {"source": "feedback", "feedback_snapshot": snapshot.snapshot_id,
                                "expert_genus": ex.genus, "expert_species": ex.species, "review": ex.source}})
    with open(out_dir / "images.jsonl", "w") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True) + "\n")
    mix = WoodFeedbackMix(snapshot.snapshot_id, snapshot.content_sha256, dataset_fingerprint(synthetic_dir),
                          syn["train"], syn["val"], len(kept), len(val_ids), len(train_ids) - len(kept), unmapped,
                          synthetic_share, round(syn["train"] / max(syn["train"] + len(kept), 1), 4))
    synthetic_info = json.loads((synthetic_dir / "dataset.json").read_text())
    info = {**synthetic_info, "merged_from": str(synthetic_dir), "feedback_mix": asdict(mix)}
    (out_dir / "dataset.json").write_text(json.dumps(info, indent=2) + "\n")
    return mix


def train_wood_with_feedback(config_path: Path, feedback_dir: Path, *, settings,
                             synthetic_share: float | None = None) -> Path:
    """Merge the snapshot into the recipe's synthetic photos and run the usual training on the merged set."""
    from smartinspect.training.tracking import configure_mlflow
    from smartinspect.training.wood import WoodTrainConfig, ensure_dataset, train_wood

    raw = yaml.safe_load(Path(config_path).read_text())
    cfg = WoodTrainConfig.from_yaml(config_path)
    options = raw.get("feedback") or {}
    share = synthetic_share if synthetic_share is not None else options.get("synthetic_share", DEFAULT_SYNTHETIC_SHARE)
    snapshot = read_feedback(feedback_dir, kind="wood")
    d = cfg.data
    synthetic = ensure_dataset(Path(d["train_dir"]), per_taxon=d["per_taxon"], seed=d["train_seed"],
                               splits=(0.85, 0.15, 0.0), taxa=cfg.taxa, size=d.get("size", 384),
                               workers=d.get("workers", 1))
    work = settings.data_dir / "feedback-runs" / f"{cfg.name}-{snapshot.snapshot_id}"
    mix = merge_wood_feedback(
        synthetic_dir=synthetic, snapshot=snapshot, out_dir=work / "data", taxa=cfg.taxa,
        synthetic_share=float(share), val_fraction=float(options.get("val_fraction", DEFAULT_FEEDBACK_VAL_FRACTION)),
        seed=cfg.seed,
    )
    log.info("feedback mix: %s", mix)
    if mix.feedback_train + mix.feedback_val == 0:
        raise ValueError(f"feedback snapshot {snapshot.snapshot_id}: none of its {len(snapshot.entries)} labels "
                         f"maps to a class of {cfg.name} ({mix.feedback_unmapped} unmapped); nothing to learn")
    raw["data"] = {**d, "train_dir": str(work / "data"), "synthetic_train_dir": str(synthetic),
                   "recipe": str(config_path), "feedback_dir": str(Path(feedback_dir).resolve()), **mix.as_params()}
    merged_config = work / Path(config_path).name
    merged_config.write_text(yaml.safe_dump(raw, sort_keys=False))
    package = train_wood(merged_config, settings=settings)
    run_id = json.loads((package / "manifest.json").read_text())["mlflow"]["run_id"]
    configure_mlflow(settings, cfg.name).MlflowClient().log_dict(run_id, asdict(mix), "feedback/mix.json")
    return package
