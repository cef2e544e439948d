"""A tiny end-to-end wood training run: data -> views -> network from scratch -> temperature -> class Gaussians ->
ONNX -> parity -> thresholds -> evaluation -> package. It checks the steps and artefacts, not accuracy (one epoch on
a few photos). Tracked in a real local MLflow SQLite store; the package is served by the real registry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from smartinspect.config import REPO_ROOT

pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")


@pytest.fixture
def tiny_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load((REPO_ROOT / "training" / "wood-tiny.yaml").read_text())
    raw["data"]["train_dir"] = str(tmp_path / "train")
    raw["data"]["test_dir"] = str(tmp_path / "test")
    raw["data"]["outlier_dir"] = str(tmp_path / "outliers")
    raw["data"]["open_set_val_dir"] = str(tmp_path / "openval")
    raw["output"] = str(tmp_path / "models" / "wood-classifier")
    path = tmp_path / "wood-tiny.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_tiny_training_run_produces_a_servable_tracked_package(tiny_config, settings, tmp_path) -> None:
    from smartinspect.datagen.wood import anatomy_of, render_end_grain
    from smartinspect.datagen.wood.dataset import read_index
    from smartinspect.runtime import ModelRegistry
    from smartinspect.training.wood import train_wood
    from smartinspect.wood.inferencer import WOOD_TASK, WoodClassifier

    package = train_wood(tiny_config, settings=settings, seed=3)  # another seed than the recipe's
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["lineage"]["seed"] == 3  # and the card's retrain command repeats it
    assert f"smartinspect train wood --config {tiny_config} --seed 3" in (package / "MODEL_CARD.md").read_text()
    assert {r["name"] for r in read_index(tmp_path / "outliers")} == {"chimera", "swap", "shift", "texture"}
    assert manifest["task"] == WOOD_TASK and (package / "model.onnx").is_file() and (package / "model.pt").is_file()
    assert (package / "MODEL_CARD.md").read_text().count("smartinspect train wood --config") == 1
    parity = manifest["metrics"]["parity"]
    assert parity["parity_max_abs_logit"] < 1e-3 and parity["parity_max_abs_distance"] < 1e-2
    params = manifest["params"]
    assert params["taxa"] == ["Dalbergia nigra", "Swietenia", "Khaya", "Pinus"] and params["temperature"] > 0
    rule = params["open_set"]
    assert set(rule["score"].split("+")) <= {"distance", "knn", "energy", "anatomy"}
    assert set(rule["threshold"]) == set(rule["score"].split("+"))
    assert {"select_distance_unknown_abstained", "select_knn_energy_known_accepted",
            "select_knn_anatomy_per_class_unknown_abstained"} <= set(manifest["metrics"]["open_set_selection"])
    assert parity["parity_max_abs_knn"] < 1e-3
    # the recipe asks for the anatomy head: fitted on known photos and outliers, in the graph, eager == ONNX
    assert manifest["outputs"] == ["logits", "features", "distance", "knn", "anatomy"]
    assert parity["parity_max_abs_anatomy"] < 1e-2 and parity["anatomy_descriptors"] > 10
    assert "open_set_auroc_anatomy" in manifest["metrics"]["test"]
    # thresholds from the validation photos (1 per class here) plus the calibration photos (3 per class)
    assert manifest["metrics"]["open_set_selection"]["threshold_photos"] == 4 * (1 + 3)
    test = manifest["metrics"]["test"]
    assert {"genus_top1", "genus_top3", "ece", "open_set_auroc", "open_set_auroc_distance", "ood_abstained"} <= set(test)
    assert test["known_photos"] == 12 and test["open_set_photos"] == 10 and test["ood_photos"] == 8

    registry = ModelRegistry.from_directory(package.parent, warm_up=False)
    assert registry.ready, registry.errors
    classifier = WoodClassifier(registry.by_task(WOOD_TASK))
    scores = classifier.predict(render_end_grain(np.random.default_rng(3), anatomy_of("Khaya"), size=160).rgb)
    assert len(scores.probabilities) == 4 and abs(sum(scores.probabilities) - 1) < 1e-5

    import mlflow

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    run = mlflow.get_run(manifest["mlflow"]["run_id"])
    assert run.info.status == "FINISHED"
    assert {"val_accuracy", "train_loss", "test_genus_top1", "parity_max_abs_logit", "attribute_loss"} <= set(run.data.metrics)
    assert run.data.params["train_dataset_sha256"] == manifest["lineage"]["train_dataset_sha256"]

    # The same network, re-calibrated and packaged without training (a calibration change tried on its own).
    checkpoints = sorted((settings.data_dir / "runs").rglob("model.pt"))
    assert len(checkpoints) == 1
    again = json.loads((train_wood(tiny_config, settings=settings, from_checkpoint=checkpoints[0])
                        / "manifest.json").read_text())
    assert again["mlflow"]["run_id"] != manifest["mlflow"]["run_id"]
    assert again["metrics"]["test"]["class_top1"] == test["class_top1"]
    assert again["params"]["temperature"] == params["temperature"]
    assert mlflow.get_run(again["mlflow"]["run_id"]).data.params["from_checkpoint"] == str(checkpoints[0])
    assert again["lineage"]["from_checkpoint"] == str(checkpoints[0])
    assert f"--from-checkpoint {checkpoints[0]}" in (package / "MODEL_CARD.md").read_text()
    # A model package's model.pt (the network inside the export wrapper) is accepted too: the served model's own
    # network can be re-calibrated.
    packaged = tmp_path / "packaged-model.pt"
    shutil.copy(package / "model.pt", packaged)
    third = json.loads((train_wood(tiny_config, settings=settings, from_checkpoint=packaged)
                        / "manifest.json").read_text())
    assert third["metrics"]["test"]["class_top1"] == test["class_top1"]
    wrong = yaml.safe_load(tiny_config.read_text())
    wrong["data"]["taxa"] = wrong["data"]["taxa"][:3]
    tiny_config.write_text(yaml.safe_dump(wrong))
    with pytest.raises(ValueError, match="does not match the recipe"):
        train_wood(tiny_config, settings=settings, from_checkpoint=checkpoints[0])


def test_a_dataset_is_reused_for_the_same_recipe_and_regenerated_for_other_outlier_kinds(tmp_path) -> None:
    from smartinspect.datagen.wood.dataset import read_index
    from smartinspect.training.wood import ensure_dataset

    out = tmp_path / "outliers"
    common = {"taxa": ["Acer"], "per_taxon": 0, "seed": 0, "splits": (0.85, 0.15, 0.0), "outliers_per_kind": 1,
              "size": 128}
    ensure_dataset(out, **common)  # no kinds named: the default three, as recipes before "shift" had
    assert {r["name"] for r in read_index(out)} == {"chimera", "swap", "texture"}
    stamp = (out / "images.jsonl").stat().st_mtime_ns
    ensure_dataset(out, **common, outlier_kinds=["chimera", "swap", "texture"])  # the same recipe: reused
    assert (out / "images.jsonl").stat().st_mtime_ns == stamp
    ensure_dataset(out, **common, outlier_kinds=["shift"])
    assert {r["name"] for r in read_index(out)} == {"shift"}
