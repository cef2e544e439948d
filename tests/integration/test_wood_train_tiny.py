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
    from smartinspect.domain.tasks import WOOD_TASK
    from smartinspect.runtime import ModelRegistry
    from smartinspect.wood.datagen import anatomy_of, render_end_grain
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.inferencer import WoodClassifier
    from smartinspect.wood.train.pipeline import train_wood

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
    # float16 storage, float32 compute: lossless once the values are rounded, so the graph matches the eager
    # network to float32 rounding (batch norm kept as nodes, not folded into rounded convolution weights)
    assert parity["parity_max_abs_logit"] < 1e-4
    import onnx
    import torch

    graph = onnx.load(str(package / "model.onnx")).graph
    stored = [i.data_type for i in graph.initializer if np.prod(i.dims) >= 16]
    assert stored.count(onnx.TensorProto.FLOAT16) > 0.9 * len(stored)  # the rest: beyond float16's range
    state = torch.load(package / "model.pt", map_location="cpu", weights_only=True)["wrapper_state_dict"]
    weights = [v for k, v in state.items() if k.startswith("net.") and v.is_floating_point()]
    assert {v.dtype for v in weights} == {torch.float16}
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
    # With the floored global rules offered too (operating.open_set_floored), as the selection's third variant.
    packaged = tmp_path / "packaged-model.pt"
    shutil.copy(package / "model.pt", packaged)
    floored = yaml.safe_load(tiny_config.read_text())
    floored["operating"]["open_set_floored"] = True
    tiny_config.write_text(yaml.safe_dump(floored))
    third = json.loads((train_wood(tiny_config, settings=settings, from_checkpoint=packaged)
                        / "manifest.json").read_text())
    assert third["metrics"]["test"]["class_top1"] == test["class_top1"]
    assert "select_distance_anatomy_floored_unknown_abstained" in third["metrics"]["open_set_selection"]
    wrong = yaml.safe_load(tiny_config.read_text())
    wrong["data"]["taxa"] = wrong["data"]["taxa"][:3]
    tiny_config.write_text(yaml.safe_dump(wrong))
    with pytest.raises(ValueError, match="does not match the recipe"):
        train_wood(tiny_config, settings=settings, from_checkpoint=checkpoints[0])


def test_a_dataset_is_reused_for_the_same_recipe_and_regenerated_for_other_outlier_kinds(tmp_path) -> None:
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.train.pipeline import ensure_dataset

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


def test_an_ensemble_recipe_trains_its_members_with_their_own_seeds_and_serves_them_as_one_graph(
        tiny_config, settings, tmp_path) -> None:
    import mlflow
    import torch

    from smartinspect.domain.tasks import WOOD_TASK
    from smartinspect.runtime import ModelRegistry
    from smartinspect.wood.train.network import EnsembleNet, ExportWrapper
    from smartinspect.wood.train.pipeline import train_wood

    raw = yaml.safe_load(tiny_config.read_text())
    raw["model"]["ensemble"] = 2
    raw["operating"]["knn_bank_photos_per_class"] = 3
    tiny_config.write_text(yaml.safe_dump(raw))
    package = train_wood(tiny_config, settings=settings)
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["params"]["members"] == 2
    assert "Ensemble: 2 networks of this recipe, trained with seeds 0-1" in (package / "MODEL_CARD.md").read_text()
    saved = torch.load(package / "model.pt", map_location="cpu", weights_only=True)
    wrapper = ExportWrapper.from_saved(saved)
    first, second = wrapper.net.members
    assert isinstance(wrapper.net, EnsembleNet)
    assert not torch.equal(first.backbone.stem[0].weight, second.backbone.stem[0].weight)  # seeds 0 and 1
    width = first.backbone.feature_dim
    assert wrapper.bank.shape == (4 * 3 * 2 * 2, 2 * width)  # 3 photos per class, 2x2 crops, features side by side
    assert wrapper.class_means.shape == (4, 2 * width)
    # the served graph gives what the eager ensemble gives, and the logits are the members' mean
    x = torch.rand(3, 3, 64, 64) * 255
    with torch.no_grad():
        eager = dict(zip(wrapper.output_names, wrapper(x), strict=True))
        mean_logits = (first(x)[0] + second(x)[0]) / 2
    assert torch.allclose(eager["logits"], mean_logits, atol=1e-5)
    registry = ModelRegistry.from_directory(package.parent, warm_up=False)
    assert registry.ready, registry.errors
    onnx = registry.by_task(WOOD_TASK).model
    served = dict(zip(onnx.output_names, onnx.run(x.numpy()), strict=True))
    assert np.abs(served["logits"] - eager["logits"].numpy()).max() < 1e-3
    assert np.abs(served["distance"] - eager["distance"].numpy()).max() < 1e-2
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    metrics = mlflow.get_run(manifest["mlflow"]["run_id"]).data.metrics
    assert {"member0_val_accuracy", "member1_val_accuracy", "member1_train_seconds"} <= set(metrics)

    # Two single networks' checkpoints, calibrated together, make the same kind of ensemble.
    raw["model"]["ensemble"] = 1
    tiny_config.write_text(yaml.safe_dump(raw))
    copies = []
    for s in (0, 1):  # every run replaces the package: keep each network
        copies.append(tmp_path / f"member{s}.pt")
        shutil.copy(train_wood(tiny_config, settings=settings, seed=s) / "model.pt", copies[-1])
    joined = train_wood(tiny_config, settings=settings, from_checkpoint=copies)
    again = json.loads((joined / "manifest.json").read_text())
    assert again["params"]["members"] == 2
    assert again["lineage"]["from_checkpoint"] == f"{copies[0]} {copies[1]}"
    card = (joined / "MODEL_CARD.md").read_text()
    assert f"--from-checkpoint {copies[0]} --from-checkpoint {copies[1]}" in card
    assert "Ensemble: 2 networks of this recipe, the checkpoints named under Retrain" in card
    member = ExportWrapper.from_saved(torch.load(copies[1], map_location="cpu", weights_only=True)).net
    joined_net = ExportWrapper.from_saved(torch.load(joined / "model.pt", map_location="cpu", weights_only=True)).net
    assert torch.equal(joined_net.members[1].backbone.fc.weight, member.backbone.fc.weight)


def test_a_validation_open_set_made_with_an_older_genus_list_is_generated_again(tmp_path) -> None:
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.datagen.genera import VALIDATION_OPEN_SET_TAXA
    from smartinspect.wood.train.pipeline import ensure_dataset

    out = tmp_path / "openval"
    common = {"taxa": ["Acer"], "per_taxon": 0, "seed": 3, "splits": (0.85, 0.15, 0.0), "open_set_per_taxon": 1,
              "open_set": "validation", "size": 128}
    ensure_dataset(out, **common)
    assert {r["name"] for r in read_index(out)} == set(VALIDATION_OPEN_SET_TAXA)
    assert {"Prunus", "Liriodendron", "Terminalia", "Triplochiton", "Tilia"} <= set(VALIDATION_OPEN_SET_TAXA)
    meta = json.loads((out / "dataset.json").read_text())
    stamp = (out / "images.jsonl").stat().st_mtime_ns
    ensure_dataset(out, **common)  # the same genera: reused
    assert (out / "images.jsonl").stat().st_mtime_ns == stamp
    meta["open_set_taxa"] = ["Castanea", "Fagus", "Juglans", "Populus", "Tilia"]  # as written before session 7
    (out / "dataset.json").write_text(json.dumps(meta))
    ensure_dataset(out, **common)
    assert json.loads((out / "dataset.json").read_text())["open_set_taxa"] == sorted(VALIDATION_OPEN_SET_TAXA)
