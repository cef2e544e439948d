"""A tiny end-to-end training run: data -> tiles -> YOLO from scratch -> ONNX -> parity -> evaluate -> package.

It checks the pipeline's steps and artefacts, not accuracy (one epoch on eight scans). Tracked in a real local
MLflow SQLite store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from smartinspect.config import REPO_ROOT

pytest.importorskip("ultralytics", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load((REPO_ROOT / "training" / "xray-tiny.yaml").read_text())
    raw["data"]["train_dir"] = str(tmp_path / "train")
    raw["data"]["test_dir"] = str(tmp_path / "test")
    raw["output"] = str(tmp_path / "models" / "xray-detector")
    path = tmp_path / "xray-tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_tiny_training_run_produces_a_servable_tracked_package(tiny_config, settings, tmp_path):
    from smartinspect.runtime import ModelRegistry
    from smartinspect.xray.train.pipeline import train_xray

    package = train_xray(tiny_config, settings=settings)
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["task"] == "xray-detection" and (package / "model.onnx").is_file()
    assert (package / "MODEL_CARD.md").read_text().count("smartinspect train xray --config") == 1
    parity = manifest["metrics"]["parity"]
    assert parity["parity_max_abs_score"] < 1e-3 and parity["parity_max_abs_box"] < 0.05
    assert 0.0 < manifest["params"]["inspect_threshold"] <= 1.0
    assert "map50" in manifest["metrics"]["test"]

    registry = ModelRegistry.from_directory(package.parent, warm_up=False)
    assert registry.ready, registry.errors

    import mlflow

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    run = mlflow.get_run(manifest["mlflow"]["run_id"])
    assert run.info.status == "FINISHED"
    assert "test_map50" in run.data.metrics and "metrics/mAP50B" in run.data.metrics
    assert run.data.params["train_dataset_sha256"] == manifest["lineage"]["train_dataset_sha256"]
