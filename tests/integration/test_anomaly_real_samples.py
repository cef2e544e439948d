"""Smoke test on the real baggage X-rays in ../shared/data (skips without them): fit on the threat-free images
(SIXray negatives, pseudo-colour), score the images with guns and knives (grey and pseudo-colour, odd sizes)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT

SAMPLES = REPO_ROOT.parent / "shared" / "data" / "xray-real-samples"
pytestmark = [
    pytest.mark.skipif(not (SAMPLES / "images").is_dir(), reason=f"real samples not present at {SAMPLES}"),
]
pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")


def test_fit_on_real_normals_and_score_real_threats(tmp_path) -> None:
    from smartinspect.anomaly.evaluate import evaluate_scorer, mask_labels
    from smartinspect.anomaly.preprocess import read_attenuation
    from smartinspect.anomaly.scorer import AnomalyScorer
    from smartinspect.anomaly.train.fit import FitConfig
    from smartinspect.anomaly.train.package import fit_package
    from smartinspect.config import Settings

    items = mask_labels(SAMPLES / "images", SAMPLES / "masks")
    normals = tmp_path / "normals"
    normals.mkdir()
    for item in items:
        if not item.anomalous:
            shutil.copy(item.path, normals / item.path.name)
    assert len(list(normals.iterdir())) == 4
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path / "var",  # type: ignore[call-arg]
                        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'var' / 'mlflow.db'}", onnx_warmup=False)
    cfg = FitConfig(scale=0.5, per_image=200, bank_size=500, pca_dims=32, calibration_fraction=0.25)
    package = fit_package(normals, tmp_path / "pkg", cfg, settings=settings)
    window = json.loads((package / "manifest.json").read_text())["params"]["view"]["window"]
    assert 1.0 <= window < 4.0  # pseudo-colour exports: the window follows the images (~1.9), not the 16-bit 8
    scorer = AnomalyScorer.from_package(package)
    threats = [item for item in items if item.anomalous]
    for item in threats:
        attenuation = read_attenuation(item.path)
        result = scorer.score(attenuation)
        x1, y1, x2, y2 = result.region
        height, width = attenuation.shape
        assert np.isfinite(result.score) and 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height
    summary = evaluate_scorer(scorer, threats)
    assert summary.images == 8 and summary.anomalous_images == 8 and np.isnan(summary.auroc)
