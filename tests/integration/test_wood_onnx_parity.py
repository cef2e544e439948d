"""The shipped wood model: its ONNX graph matches the PyTorch network it was exported from, and it loads as served."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT
from smartinspect.runtime import OnnxModel, file_sha256
from smartinspect.wood.datagen import anatomy_of, render_end_grain
from smartinspect.wood.inferencer import WoodModelParams
from smartinspect.wood.preprocess import analysis_view, grid_crops, to_batch

PACKAGE = REPO_ROOT / "models" / "wood-classifier"


@pytest.fixture(scope="module")
def crops() -> np.ndarray:
    taxa = ("Dalbergia nigra", "Swietenia", "Quercus", "Pinus", "Aquilaria")
    views = [analysis_view(render_end_grain(np.random.default_rng(i), anatomy_of(t)).rgb) for i, t in
             enumerate(taxa)]
    return np.concatenate([to_batch(grid_crops(v)) for v in views])


def test_shipped_package_is_complete_and_consistent() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    assert manifest["sha256"] == file_sha256(PACKAGE / "model.onnx")
    params = WoodModelParams.from_params(manifest["params"])
    assert len(params.taxa) == 16 and len(set(params.genera)) == 14
    assert (PACKAGE / "MODEL_CARD.md").read_text().count(manifest["mlflow"]["run_id"]) >= 1


def test_onnx_matches_pytorch_eager(crops: np.ndarray) -> None:
    torch = pytest.importorskip("torch", reason="the train extra is not installed")
    from smartinspect.wood.train.network import ExportWrapper

    saved = torch.load(PACKAGE / "model.pt", map_location="cpu", weights_only=True)
    wrapper = ExportWrapper.from_saved(saved)
    with torch.no_grad():
        eager = dict(zip(wrapper.output_names, (t.numpy() for t in wrapper(torch.from_numpy(crops))), strict=True))
    logits, distance, knn = eager["logits"], eager["distance"], eager["knn"]
    model = OnnxModel(PACKAGE / "model.onnx", providers=["CPUExecutionProvider"])
    named = dict(zip(model.output_names, model.run(crops), strict=True))
    assert set(named) == set(eager)
    if "anatomy" in eager:
        assert np.abs(named["anatomy"] - eager["anatomy"]).max() < 1e-2
    assert np.abs(named["logits"] - logits).max() < 1e-3
    assert np.abs(named["distance"] - distance).max() < 1e-2
    assert np.abs(named["knn"] - knn).max() < 1e-3
    assert (named["logits"].argmax(1) == logits.argmax(1)).all()



def test_a_rule_on_a_score_the_graph_does_not_compute_is_refused_at_load() -> None:
    """A manifest whose open-set rule needs the anatomy score must come with a graph that computes it; otherwise
    the classifier refuses to load instead of gating on a missing score."""
    from types import SimpleNamespace

    from smartinspect.wood.inferencer import WoodClassifier

    params = json.loads((PACKAGE / "manifest.json").read_text())["params"]
    params["open_set"] = {"score": "anatomy", "reference": {"anatomy": 1.0}, "threshold": {"anatomy": 2.0}}

    def loaded(outputs: list[str]):
        return SimpleNamespace(spec=SimpleNamespace(params=params, name="wood-classifier", version="t"),
                               model=SimpleNamespace(output_names=outputs))

    with pytest.raises(ValueError, match="no 'anatomy' output"):
        WoodClassifier(loaded(["logits", "features", "distance", "knn"]))
    assert WoodClassifier(loaded(["logits", "features", "distance", "knn", "anatomy"])).has_anatomy
