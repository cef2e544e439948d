"""The wood classifier through the lifecycle: a tiny training, registered (with example overlays on its run),
promoted through the wood gate on a frozen photo set, exported and servable. Real MLflow store, real ONNX."""

from __future__ import annotations

import json

import pytest
import yaml
from lifecycle_support import make_settings

from smartinspect.config import REPO_ROOT

pytest.importorskip("torch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")


def test_tiny_wood_model_is_registered_promoted_and_served(tmp_path):
    from smartinspect.lifecycle.mlflow_registry import open_client, resolve_alias
    from smartinspect.lifecycle.promote import NothingToPromote, promote
    from smartinspect.lifecycle.runs import finish_training_run
    from smartinspect.lifecycle.wood_kind import train
    from smartinspect.runtime import ModelRegistry

    recipe = yaml.safe_load((REPO_ROOT / "training" / "wood-tiny.yaml").read_text())
    recipe["data"].update(train_dir=str(tmp_path / "train"), test_dir=str(tmp_path / "test"))
    recipe["output"] = str(tmp_path / "packages" / "wood-classifier")
    (tmp_path / "wood.yaml").write_text(yaml.safe_dump(recipe))
    gate = yaml.safe_load((REPO_ROOT / "training" / "promote-wood-tiny.yaml").read_text())
    gate["eval_set"]["dir"] = str(tmp_path / "frozen")
    (tmp_path / "promote.yaml").write_text(yaml.safe_dump(gate, sort_keys=False))
    settings = make_settings(tmp_path)

    package = train(tmp_path / "wood.yaml", settings=settings)
    ref = finish_training_run(package, settings=settings)  # what the end of a training run does
    client = open_client(settings)
    assert ref.aliases == ("challenger",) and ref.tags["lineage.train_dataset_sha256"]
    assert len(client.list_artifacts(ref.run_id, "examples")) >= 1

    result = promote(settings, tmp_path / "promote.yaml")
    assert result.promoted and "| recall_Dalbergia |" in result.table and "| unknown_accepted_rate |" in result.table
    served = json.loads((settings.models_dir / "wood-classifier" / "manifest.json").read_text())
    assert served["registry"]["version"] == ref.version and served["registry"]["alias"] == "champion"
    assert resolve_alias(client, "wood-classifier", "champion").version == ref.version
    assert ModelRegistry.from_directory(settings.models_dir, warm_up=False).ready
    with pytest.raises(NothingToPromote):
        promote(settings, tmp_path / "promote.yaml")
