import json
from pathlib import Path

import numpy as np
import pytest

from smartinspect.runtime import ModelRegistry, OnnxModel, choose_providers, file_sha256


def _tiny_onnx(path: Path) -> None:
    """A real ONNX graph (y = x * 2) built with the onnx helper API."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    two = helper.make_tensor("two", TensorProto.FLOAT, [1], [2.0])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"])], "double", [x], [y], [two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def _package(root: Path, name: str = "double", sha: str | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    _tiny_onnx(folder / "model.onnx")
    manifest = {"name": name, "task": "test", "version": "1", "file": "model.onnx",
                "sha256": sha or file_sha256(folder / "model.onnx"),
                "inputs": [{"name": "x", "shape": ["batch", 3]}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_cpu_is_always_a_provider():
    assert choose_providers()[-1] == "CPUExecutionProvider"
    assert choose_providers(["NoSuchExecutionProvider"]) == ["CPUExecutionProvider"]


def test_registry_loads_verifies_and_runs(tmp_path):
    _package(tmp_path)
    registry = ModelRegistry.from_directory(tmp_path)
    assert registry.ready
    loaded = registry.get("double")
    (out,) = loaded.model.run(np.ones((2, 3), np.float32))
    np.testing.assert_allclose(out, 2.0)
    described = registry.describe()[0]
    assert described["sha256"] == loaded.spec.sha256 and described["providers"] == ["CPUExecutionProvider"]


def test_sha_mismatch_makes_registry_not_ready(tmp_path):
    _package(tmp_path, sha="0" * 64)
    registry = ModelRegistry.from_directory(tmp_path)
    assert not registry.ready
    assert "does not match" in registry.errors["double"]
    with pytest.raises(KeyError, match="not loaded"):
        registry.get("double")


def test_empty_directory_is_not_ready(tmp_path):
    assert not ModelRegistry.from_directory(tmp_path).ready


def test_session_warm_up_returns_latency(tmp_path):
    folder = _package(tmp_path)
    model = OnnxModel(folder / "model.onnx")
    assert model.warm_up([(1, 3)]) >= 0.0
