"""The shipped wood model: its ONNX graph matches the PyTorch network it was exported from, and it loads as served."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT
from smartinspect.datagen.wood import anatomy_of, render_end_grain
from smartinspect.runtime import OnnxModel, file_sha256
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
    from smartinspect.training.wood_model import ExportWrapper, WoodNet

    saved = torch.load(PACKAGE / "model.pt", map_location="cpu", weights_only=True)
    state = saved["wrapper_state_dict"]
    wrapper = ExportWrapper(WoodNet(saved["arch"], len(saved["taxa"])), state["class_means"], state["precision"],
                            state["bank"], k=saved["knn_k"])
    wrapper.load_state_dict(state)
    with torch.no_grad():
        logits, _, distance, knn = (t.numpy() for t in wrapper.eval()(torch.from_numpy(crops)))
    model = OnnxModel(PACKAGE / "model.onnx", providers=["CPUExecutionProvider"])
    named = dict(zip(model.output_names, model.run(crops), strict=True))
    assert np.abs(named["logits"] - logits).max() < 1e-3
    assert np.abs(named["distance"] - distance).max() < 1e-2
    assert np.abs(named["knn"] - knn).max() < 1e-3
    assert (named["logits"].argmax(1) == logits.argmax(1)).all()
