"""Tiny real ONNX packages (y = x * k) in a models directory, for reload and /v1/models tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from smartinspect.runtime import file_sha256


def write_package(models_dir: Path, *, name: str = "double", version: str = "1", factor: float = 2.0,
                  sha: str | None = None) -> Path:
    """A real ONNX graph y = x * factor with its manifest; rewriting it bumps the files' mtimes."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    folder = models_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    k = helper.make_tensor("k", TensorProto.FLOAT, [1], [factor])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "k"], ["y"])], "scale", [x], [y], [k])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, folder / "model.onnx")
    manifest = {"name": name, "task": "test", "version": version, "file": "model.onnx",
                "sha256": sha or file_sha256(folder / "model.onnx"), "inputs": [{"name": "x", "shape": ["batch", 3]}],
                "metrics": {"test": {"map50": 0.5}},
                "registry": {"name": name, "version": version, "alias": "champion"}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def package_writer() -> Callable[..., Path]:
    return write_package
