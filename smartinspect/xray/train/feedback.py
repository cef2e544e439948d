"""``smartinspect train xray --with-feedback DIR``: merge expert-labelled scans with the synthetic set, then train.

The feedback scans are resampled to the model pitch and written in the generated-dataset layout next to (links
to) the synthetic scans, so the training pipeline tiles both with the same code. At least ``synthetic_share``
of the training scans stay synthetic, so what the model knows is not forgotten. The mix and the snapshot's
sha256 go into the recipe's ``data`` block, which training logs to MLflow as parameters (and which the
model-version tags repeat); ``feedback/mix.json`` is logged on the run as well.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import cv2
import numpy as np

from smartinspect.lifecycle.feedback import FeedbackSnapshot, XrayFeedbackExample, read_feedback
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
from smartinspect.xray.dataset import dataset_fingerprint, iter_scans
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.preprocess import resample_to_pitch

log = logging.getLogger(__name__)
OPEN_BEAM_COUNTS = 60_000.0  # resampled feedback scans are re-encoded as 16-bit counts under this open beam


def _copy_synthetic(src: Path, out: Path, split: str) -> int:
    n = 0
    for record in iter_scans(src, split):
        link(record.image_path, out / "images" / split / record.image_path.name)
        if record.low_path is not None:
            link(record.low_path, out / "images_low" / split / record.low_path.name)
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
    if list(snapshot.classes) != list(class_names):
        raise ValueError(f"feedback classes {list(snapshot.classes)} differ from the model's {class_names}")
    check_synthetic_share(synthetic_share)
    shutil.rmtree(out_dir, ignore_errors=True)
    syn_train = _copy_synthetic(synthetic_dir, out_dir, "train")
    syn_val = _copy_synthetic(synthetic_dir, out_dir, "val")
    split = split_feedback([e["id"] for e in snapshot.entries], synthetic_train=syn_train,
                           synthetic_share=synthetic_share, val_fraction=val_fraction, seed=seed)
    for ex in snapshot.xray_examples():
        if (which := split.split_of(ex.example_id)) is not None:
            _write_feedback_scan(ex, out_dir, which, model_pitch_mm=model_pitch_mm,
                                 snapshot_id=snapshot.snapshot_id, class_names=class_names)
    mix = make_mix(snapshot, synthetic_sha256=dataset_fingerprint(synthetic_dir), synthetic_train=syn_train,
                   synthetic_val=syn_val, split=split, synthetic_share=synthetic_share)
    write_merged_info(synthetic_dir, out_dir, mix, n_scans=mix.total)
    return mix


def train_xray_with_feedback(config_path: Path, feedback_dir: Path, *, settings,
                             synthetic_share: float | None = None) -> Path:
    """Merge the snapshot into the recipe's synthetic data and run the usual training on the merged set."""
    from smartinspect.xray.datagen import CLASS_NAMES
    from smartinspect.xray.datagen.config import XrayGenConfig
    from smartinspect.xray.train.pipeline import XrayTrainConfig, ensure_dataset, train_xray

    raw = load_recipe(config_path)  # the merged recipe is written out whole: no ``extends`` left
    cfg = XrayTrainConfig.from_yaml(config_path)
    share, val_fraction = feedback_options(raw, synthetic_share)
    snapshot = read_feedback(feedback_dir, kind="xray", classes=list(CLASS_NAMES))
    data = cfg.data
    synthetic = ensure_dataset(Path(data["train_dir"]), n_scans=data["train_scans"], seed=data["train_seed"],
                               splits=(0.85, 0.15, 0.0), config=XrayGenConfig.with_overrides(data.get("generator")))
    work = settings.data_dir / "feedback-runs" / f"{cfg.name}-{snapshot.snapshot_id}"
    mix = merge_xray_feedback(
        synthetic_dir=synthetic, snapshot=snapshot, out_dir=work / "data", class_names=list(CLASS_NAMES),
        model_pitch_mm=cfg.operating["pitch_mm"], synthetic_share=share, val_fraction=val_fraction, seed=cfg.seed,
    )
    return train_on_merged(raw, config_path=config_path, feedback_dir=feedback_dir, work=work, synthetic_dir=synthetic,
                           mix=mix, train=train_xray, settings=settings, experiment=cfg.name,
                           data={"train_scans": mix.total})
