"""The wood classifier through the lifecycle: a tiny training, registered (with example overlays on its run),
promoted through the wood gate on a frozen photo set, exported and servable; then a retrain with expert feedback
(`smartinspect train wood --with-feedback`) that records its mix. Real MLflow store, real ONNX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from lifecycle_support import make_settings

from smartinspect.config import REPO_ROOT

pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")


def test_tiny_wood_model_is_registered_promoted_and_served(tmp_path):
    from smartinspect.kinds import KINDS
    from smartinspect.lifecycle.mlflow_registry import open_client, resolve_alias
    from smartinspect.lifecycle.promote import NothingToPromote, promote
    from smartinspect.runtime import ModelRegistry
    from smartinspect.wood.kind import train

    recipe = yaml.safe_load((REPO_ROOT / "training" / "wood-tiny.yaml").read_text())
    recipe["data"].update(train_dir=str(tmp_path / "train"), test_dir=str(tmp_path / "test"))
    recipe["output"] = str(tmp_path / "packages" / "wood-classifier")
    (tmp_path / "wood.yaml").write_text(yaml.safe_dump(recipe))
    gate = yaml.safe_load((REPO_ROOT / "training" / "promote-wood-tiny.yaml").read_text())
    gate["eval_set"]["dir"] = str(tmp_path / "frozen")
    (tmp_path / "promote.yaml").write_text(yaml.safe_dump(gate, sort_keys=False))
    settings = make_settings(tmp_path)

    package = train(tmp_path / "wood.yaml", settings=settings)  # the end of training registers it
    client = open_client(settings)
    ref = resolve_alias(client, "wood-classifier", "challenger")
    assert json.loads((package / "manifest.json").read_text())["mlflow"]["run_id"] == ref.run_id
    assert ref.aliases == ("challenger",) and ref.tags["lineage.train_dataset_sha256"]
    assert len(client.list_artifacts(ref.run_id, "examples")) >= 1
    reports = {a.path for a in client.list_artifacts(ref.run_id, "training")}
    assert {"training/confusion_matrix.png", "training/PR_curves.png", "training/open_set_ROC.png"} <= reports
    assert client.get_run(ref.run_id).data.metrics["parity_max_abs_logit"] < 1e-3

    result = promote(settings, tmp_path / "promote.yaml", kinds=KINDS)
    assert result.promoted and "| recall_Dalbergia |" in result.table and "| unknown_accepted_rate |" in result.table
    assert "| nonwood_accepted_rate |" in result.table
    served = json.loads((settings.models_dir / "wood-classifier" / "manifest.json").read_text())
    assert served["registry"]["version"] == ref.version and served["registry"]["alias"] == "champion"
    assert resolve_alias(client, "wood-classifier", "champion").version == ref.version
    assert ModelRegistry.from_directory(settings.models_dir, warm_up=False).ready
    # The served package keeps the eager network the benchmark and the parity test load.
    assert (settings.models_dir / "wood-classifier" / "model.pt").is_file()
    with pytest.raises(NothingToPromote):
        promote(settings, tmp_path / "promote.yaml", kinds=KINDS)


def test_wood_retrain_with_feedback_merges_the_expert_labels_and_records_the_mix(tmp_path):
    import numpy as np

    from smartinspect.lifecycle.feedback import WoodFeedbackExample, write_wood_feedback
    from smartinspect.lifecycle.mlflow_registry import open_client, resolve_alias
    from smartinspect.wood.datagen import anatomy_of, render_end_grain
    from smartinspect.wood.kind import train
    from smartinspect.wood.train.data import load_views

    rng = np.random.default_rng(11)
    examples = []
    # what the review UI exports: expert genus (+ species); one genus the tiny model has no class for
    for i, (taxon, genus, species) in enumerate([("Swietenia", "Swietenia", None), ("Khaya", "Khaya", None),
                                                 ("Dalbergia nigra", "Dalbergia", "nigra"),
                                                 ("Pinus", "Pinus", None), ("Tectona", "Tectona", None)]):
        image = render_end_grain(rng, anatomy_of(taxon), size=200)
        examples.append(WoodFeedbackExample(f"case-{i}", image.jpeg, ".jpg", genus, species,
                                            {"case_id": f"case-{i}", "decision": "confirm"}))
    snapshot = write_wood_feedback(tmp_path / "feedback", examples)
    recipe = yaml.safe_load((REPO_ROOT / "training" / "wood-tiny.yaml").read_text())
    recipe["data"].update(train_dir=str(tmp_path / "train"), test_dir=str(tmp_path / "test"))
    recipe["output"] = str(tmp_path / "packages" / "wood-classifier")
    (tmp_path / "wood.yaml").write_text(yaml.safe_dump(recipe))
    settings = make_settings(tmp_path)

    package = train(tmp_path / "wood.yaml", settings=settings, feedback=snapshot.path)
    manifest = json.loads((package / "manifest.json").read_text())
    client = open_client(settings)
    run = client.get_run(manifest["mlflow"]["run_id"])
    params = run.data.params
    assert params["data.feedback_snapshot_id"] == snapshot.snapshot_id
    assert params["data.feedback_unmapped"] == "1"  # Tectona: not a class of the tiny model
    assert int(params["data.feedback_train"]) + int(params["data.feedback_val"]) == 4
    assert float(params["data.synthetic_share"]) >= 0.5
    assert "feedback/mix.json" in {a.path for a in client.list_artifacts(run.info.run_id, "feedback")}
    assert resolve_alias(client, "wood-classifier", "challenger").run_id == run.info.run_id
    # the merged training set holds the expert photos under the mapped classes, decoded like any other photo
    merged = Path(params["data.train_dir"])
    views = {s: load_views(merged, s, taxa=recipe["data"]["taxa"], side=64) for s in ("train", "val")}
    from_feedback = [(r["taxon"], int(lab)) for s in views for r, lab in zip(views[s].rows, views[s].labels)
                     if r["params"].get("source") == "feedback"]
    assert sorted(t for t, _ in from_feedback) == ["Dalbergia nigra", "Khaya", "Pinus", "Swietenia"]
    assert all(lab == recipe["data"]["taxa"].index(t) for t, lab in from_feedback)
