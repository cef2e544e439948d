"""``smartinspect train xray --with-feedback DIR``: merge expert-labelled scans with the synthetic set, then train.

The feedback scans are resampled to the model pitch and written in the generated-dataset layout next to (links
to) the synthetic scans, so the training pipeline tiles both with the same code. At least ``synthetic_share``
of the training scans stay synthetic, so what the model knows is not forgotten. The mix and the snapshot's
sha256 go into the recipe's ``data`` block, which training logs to MLflow as parameters (and which the
model-version tags repeat); ``feedback/mix.json`` is logged on the run as well.
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

import cv2
import numpy as np
import yaml

from smartinspect.lifecycle.feedback import FeedbackSnapshot, XrayFeedbackExample, read_feedback
from smartinspect.xray.dataset import dataset_fingerprint, iter_scans
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.preprocess import resample_to_pitch

log = logging.getLogger(__name__)
DEFAULT_SYNTHETIC_SHARE = 0.5
DEFAULT_FEEDBACK_VAL_FRACTION = 0.2
OPEN_BEAM_COUNTS = 60_000.0  # resampled feedback scans are re-encoded as 16-bit counts under this open beam


@dataclass(frozen=True)
class FeedbackMix:
    """What a feedback training run trained on (logged to MLflow)."""

    snapshot_id: str
    snapshot_sha256: str
    synthetic_dataset_sha256: str
    synthetic_train: int
    synthetic_val: int
    feedback_train: int
    feedback_val: int
    feedback_dropped: int
    synthetic_share_min: float
    synthetic_share: float  # actual share of synthetic scans in the training split

    @property
    def total(self) -> int:
        return self.synthetic_train + self.synthetic_val + self.feedback_train + self.feedback_val

    def as_params(self) -> dict[str, Any]:
        return {f"feedback_{k}" if not k.startswith(("feedback", "synthetic")) else k: v
                for k, v in asdict(self).items()}


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another filesystem: copy
        shutil.copy2(src, dst)


def _copy_synthetic(src: Path, out: Path, split: str) -> int:
    n = 0
    for record in iter_scans(src, split):
        _link(record.image_path, out / "images" / split / record.image_path.name)
        if record.low_path is not None:
            _link(record.low_path, out / "images_low" / split / record.low_path.name)
        manifest = {**record.manifest, "source": "synthetic"}
        (out / "manifests" / split).mkdir(parents=True, exist_ok=True)
        (out / "manifests" / split / f"{record.scan_id}.json").write_text(json.dumps(manifest, indent=2))
        n += 1
    return n


def _to_model_pitch(image: np.ndarray, pitch_mm: float, model_pitch_mm: float) -> tuple[np.ndarray, float]:
    """(H, W) uint16 scan at ``pitch_mm`` -> 16-bit counts at the model pitch (resampled in attenuation)."""
    attenuation, factor = resample_to_pitch(to_attenuation(image), pitch_mm=pitch_mm, model_pitch_mm=model_pitch_mm)
    if factor == 1.0:
        return image, 1.0
    counts = OPEN_BEAM_COUNTS * np.exp(-attenuation) - 0.5
    return np.clip(np.rint(counts), 0, 65535).astype(np.uint16), factor


def _is_val(example_id: str, fraction: float, seed: int) -> bool:
    digest = hashlib.sha256(f"{seed}:{example_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def _write_feedback_scan(ex: XrayFeedbackExample, out: Path, split: str, *, model_pitch_mm: float,
                         snapshot_id: str, class_names: list[str]) -> None:
    scan_id = f"fb_{ex.example_id}"
    image, factor = _to_model_pitch(ex.image, ex.pitch_mm, model_pitch_mm)
    (out / "images" / split).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "images" / split / f"{scan_id}.png"), image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if ex.image_low is not None:
        low, _ = _to_model_pitch(ex.image_low, ex.pitch_mm, model_pitch_mm)
        (out / "images_low" / split).mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(out / "images_low" / split / f"{scan_id}.png"), low, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    threats = [{"class_id": c, "class_name": class_names[c], "box": [round(v * factor, 1) for v in box]}
               for c, box in ex.boxes]
    manifest = {"scan_id": scan_id, "split": split, "source": "feedback", "feedback_snapshot": snapshot_id,
                "pitch_mm": model_pitch_mm, "original_pitch_mm": ex.pitch_mm, "threats": threats,
                "is_empty": False, "declared_empty": False, "review": ex.source}
    (out / "manifests" / split).mkdir(parents=True, exist_ok=True)
    (out / "manifests" / split / f"{scan_id}.json").write_text(json.dumps(manifest, indent=2))


def merge_xray_feedback(*, synthetic_dir: Path, snapshot: FeedbackSnapshot, out_dir: Path, class_names: list[str],
                        model_pitch_mm: float, synthetic_share: float, val_fraction: float, seed: int) -> FeedbackMix:
    """Write ``out_dir`` (generated-dataset layout): synthetic train/val scans + feedback scans, capped so that
    synthetic scans stay >= ``synthetic_share`` of the training split."""
    if not 0.0 < synthetic_share <= 1.0:
        raise ValueError(f"synthetic_share must be in (0, 1], got {synthetic_share}")
    if list(snapshot.classes) != list(class_names):
        raise ValueError(f"feedback classes {list(snapshot.classes)} differ from the model's {class_names}")
    shutil.rmtree(out_dir, ignore_errors=True)
    syn_train = _copy_synthetic(synthetic_dir, out_dir, "train")
    syn_val = _copy_synthetic(synthetic_dir, out_dir, "val")
    ids = [e["id"] for e in snapshot.entries]
    val_ids = {i for i in ids if _is_val(i, val_fraction, seed)}
    train_ids = [i for i in ids if i not in val_ids]
    cap = int(np.floor(syn_train * (1.0 - synthetic_share) / synthetic_share + 1e-9))
    rng = np.random.default_rng(seed)
    kept = set(rng.choice(train_ids, size=cap, replace=False).tolist()) if len(train_ids) > cap else set(train_ids)
    for ex in snapshot.xray_examples():
        if ex.example_id in val_ids or ex.example_id in kept:
            split = "val" if ex.example_id in val_ids else "train"
            _write_feedback_scan(ex, out_dir, split, model_pitch_mm=model_pitch_mm,
                                 snapshot_id=snapshot.snapshot_id, class_names=class_names)
    mix = FeedbackMix(snapshot.snapshot_id, snapshot.content_sha256, dataset_fingerprint(synthetic_dir), syn_train,
                      syn_val, len(kept), len(val_ids), len(train_ids) - len(kept), synthetic_share,
                      round(syn_train / max(syn_train + len(kept), 1), 4))
    synthetic_info = json.loads((synthetic_dir / "dataset.json").read_text())
    info = {**synthetic_info, "n_scans": mix.total, "merged_from": str(synthetic_dir), "feedback_mix": asdict(mix)}
    (out_dir / "dataset.json").write_text(json.dumps(info, indent=2) + "\n")
    return mix


def train_xray_with_feedback(config_path: Path, feedback_dir: Path, *, settings,
                             synthetic_share: float | None = None) -> Path:
    """Merge the snapshot into the recipe's synthetic data and run the usual training on the merged set."""
    from smartinspect.datagen.xray import CLASS_NAMES
    from smartinspect.training.tracking import configure_mlflow
    from smartinspect.training.xray import XrayTrainConfig, ensure_dataset, generator_config, train_xray

    raw = yaml.safe_load(Path(config_path).read_text())
    cfg = XrayTrainConfig.from_yaml(config_path)
    options = raw.get("feedback") or {}
    share = synthetic_share if synthetic_share is not None else options.get("synthetic_share", DEFAULT_SYNTHETIC_SHARE)
    snapshot = read_feedback(feedback_dir, kind="xray", classes=list(CLASS_NAMES))
    data = cfg.data
    synthetic = ensure_dataset(Path(data["train_dir"]), n_scans=data["train_scans"], seed=data["train_seed"],
                               splits=(0.85, 0.15, 0.0), config=generator_config(data.get("generator")))
    work = settings.data_dir / "feedback-runs" / f"{cfg.name}-{snapshot.snapshot_id}"
    mix = merge_xray_feedback(
        synthetic_dir=synthetic, snapshot=snapshot, out_dir=work / "data", class_names=list(CLASS_NAMES),
        model_pitch_mm=cfg.operating["pitch_mm"], synthetic_share=float(share),
        val_fraction=float(options.get("val_fraction", DEFAULT_FEEDBACK_VAL_FRACTION)), seed=cfg.seed,
    )
    log.info("feedback mix: %s", mix)
    # The merged set stands in for the synthetic one; the mix rides in `data`, which training logs as params.
    raw["data"] = {**data, "train_dir": str(work / "data"), "train_scans": mix.total,
                   "synthetic_train_dir": str(synthetic), "recipe": str(config_path),
                   "feedback_dir": str(Path(feedback_dir).resolve()), **mix.as_params()}
    merged_config = work / Path(config_path).name
    merged_config.write_text(yaml.safe_dump(raw, sort_keys=False))
    package = train_xray(merged_config, settings=settings)
    run_id = json.loads((package / "manifest.json").read_text())["mlflow"]["run_id"]
    configure_mlflow(settings, cfg.name).MlflowClient().log_dict(run_id, asdict(mix), "feedback/mix.json")
    return package
