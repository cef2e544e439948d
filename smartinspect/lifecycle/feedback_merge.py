"""What every ``train … --with-feedback`` shares: the mix record, the train/validation split of the feedback with
the cap that keeps the synthetic share, and the run on the merged set.

The model-specific part (how a feedback example is written into its generated-dataset layout) stays in
``xray_feedback`` and ``wood_feedback``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from smartinspect.lifecycle.feedback import FeedbackSnapshot

log = logging.getLogger(__name__)
DEFAULT_SYNTHETIC_SHARE = 0.5
DEFAULT_FEEDBACK_VAL_FRACTION = 0.2


@dataclass(frozen=True)
class FeedbackMix:
    """What a feedback training run trained on (logged to MLflow). The unit is the model's example: a scan, a photo."""

    snapshot_id: str
    snapshot_sha256: str
    synthetic_dataset_sha256: str
    synthetic_train: int
    synthetic_val: int
    feedback_train: int
    feedback_val: int
    feedback_dropped: int  # over the cap that keeps the synthetic share
    synthetic_share_min: float
    synthetic_share: float  # actual share of synthetic examples in the training split
    feedback_unmapped: int = 0  # labels the model has no class for (wood: a new genus, a genus without species)

    @property
    def total(self) -> int:
        return self.synthetic_train + self.synthetic_val + self.feedback_train + self.feedback_val

    def as_params(self) -> dict[str, Any]:
        return {f"feedback_{k}" if not k.startswith(("feedback", "synthetic")) else k: v
                for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FeedbackSplit:
    """Which feedback examples go to validation, which to training, and how many the cap left out."""

    val: frozenset[str]
    train: frozenset[str]
    dropped: int

    def split_of(self, example_id: str) -> str | None:
        return "val" if example_id in self.val else "train" if example_id in self.train else None


def link(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (a merged set costs no space); copy across filesystems."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def check_synthetic_share(synthetic_share: float) -> None:
    if not 0.0 < synthetic_share <= 1.0:
        raise ValueError(f"synthetic_share must be in (0, 1], got {synthetic_share}")


def split_feedback(ids: Sequence[str], *, synthetic_train: int, synthetic_share: float, val_fraction: float,
                   seed: int) -> FeedbackSplit:
    """``val_fraction`` of the ids (by a seeded hash, stable as the snapshot grows) to validation; of the rest at
    most as many as keep synthetic examples >= ``synthetic_share`` of the training split (a seeded choice)."""
    check_synthetic_share(synthetic_share)
    val = {i for i in ids if _is_val(i, val_fraction, seed)}
    train_ids = [i for i in ids if i not in val]
    cap = int(np.floor(synthetic_train * (1.0 - synthetic_share) / synthetic_share + 1e-9))
    rng = np.random.default_rng(seed)
    kept = set(rng.choice(train_ids, size=cap, replace=False).tolist()) if len(train_ids) > cap else set(train_ids)
    return FeedbackSplit(frozenset(val), frozenset(kept), len(train_ids) - len(kept))


def make_mix(snapshot: FeedbackSnapshot, *, synthetic_sha256: str, synthetic_train: int, synthetic_val: int,
             split: FeedbackSplit, synthetic_share: float, unmapped: int = 0) -> FeedbackMix:
    return FeedbackMix(snapshot.snapshot_id, snapshot.content_sha256, synthetic_sha256, synthetic_train,
                       synthetic_val, len(split.train), len(split.val), split.dropped, synthetic_share,
                       round(synthetic_train / max(synthetic_train + len(split.train), 1), 4), unmapped)


def write_merged_info(synthetic_dir: Path, out_dir: Path, mix: FeedbackMix, **overrides: Any) -> None:
    """The merged set's dataset.json: the synthetic set's, so the recipe's data checks still match, plus the mix."""
    info = {**json.loads((Path(synthetic_dir) / "dataset.json").read_text()), **overrides,
            "merged_from": str(synthetic_dir), "feedback_mix": asdict(mix)}
    (Path(out_dir) / "dataset.json").write_text(json.dumps(info, indent=2) + "\n")


def feedback_options(raw: dict[str, Any], synthetic_share: float | None) -> tuple[float, float]:
    """(synthetic share, validation fraction): the command line first, then the recipe's ``feedback`` block."""
    options = raw.get("feedback") or {}
    share = synthetic_share if synthetic_share is not None else options.get("synthetic_share", DEFAULT_SYNTHETIC_SHARE)
    return float(share), float(options.get("val_fraction", DEFAULT_FEEDBACK_VAL_FRACTION))


def train_on_merged(raw: dict[str, Any], *, config_path: Path, feedback_dir: Path, work: Path,
                    synthetic_dir: Path, mix: FeedbackMix, train: Callable[..., Path], settings,
                    experiment: str, data: dict[str, Any] | None = None) -> Path:
    """Run ``train`` on the recipe with the merged set in place of the synthetic one; log the mix on the run.

    The mix rides in the recipe's ``data`` block, which training logs as params (and the model-version tags repeat).
    """
    from smartinspect.training.tracking import configure_mlflow

    log.info("feedback mix: %s", mix)
    raw["data"] = {**raw["data"], **(data or {}), "train_dir": str(work / "data"),
                   "synthetic_train_dir": str(synthetic_dir), "recipe": str(config_path),
                   "feedback_dir": str(Path(feedback_dir).resolve()), **mix.as_params()}
    merged_config = work / Path(config_path).name
    merged_config.write_text(yaml.safe_dump(raw, sort_keys=False))
    package = train(merged_config, settings=settings)
    run_id = json.loads((package / "manifest.json").read_text())["mlflow"]["run_id"]
    configure_mlflow(settings, experiment).MlflowClient().log_dict(run_id, asdict(mix), "feedback/mix.json")
    return package


def _is_val(example_id: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction
