"""Float16 storage of the wood model (smartinspect.wood.train.export): lossless for values float16 holds,
float32 kept for the rest, and the graph computes what it computed before. The shipped package stays under the
repository's 20 MB limit for tracked files."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT

onnx = pytest.importorskip("onnx", reason="the train extra is not installed")
torch = pytest.importorskip("torch", reason="the train extra is not installed")


def _graph(path, initializers: dict[str, np.ndarray]) -> None:
    from onnx import TensorProto, helper, numpy_helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 4])
    nodes = [helper.make_node("MatMul", ["x", "exact"], ["a"]), helper.make_node("Add", ["a", "inexact"], ["b"]),
             helper.make_node("Mul", ["b", "huge"], ["c"]), helper.make_node("Add", ["c", "tiny"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [y], [numpy_helper.from_array(v, k) for k, v in initializers.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_only_initializers_float16_holds_exactly_are_stored_as_float16_and_the_outputs_do_not_move(tmp_path) -> None:
    import onnxruntime as ort
    from onnx import TensorProto

    from smartinspect.wood.train.export import store_float16

    rng = np.random.default_rng(0)
    values = {"exact": rng.normal(size=(4, 4)).astype(np.float16).astype(np.float32),
              "inexact": rng.normal(size=(4, 4)).astype(np.float32),  # float32 digits float16 cannot hold
              "huge": np.full((4, 4), 1e6, np.float32),  # beyond float16's range
              "tiny": np.float32(0.5).reshape(1)}  # fewer elements than worth a cast
    path = tmp_path / "g.onnx"
    _graph(path, values)
    x = rng.normal(size=(4, 4)).astype(np.float32)
    before = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert store_float16(path) == {"float16": 1, "float32": 2}
    stored = {i.name: i.data_type for i in onnx.load(str(path)).graph.initializer}
    assert stored == {"exact__float16": TensorProto.FLOAT16, "inexact": TensorProto.FLOAT,
                      "huge": TensorProto.FLOAT, "tiny": TensorProto.FLOAT}
    after = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    assert np.array_equal(before, after)


def test_rounding_and_the_saved_state_keep_out_of_range_tensors_in_float32() -> None:
    from smartinspect.wood.train.export import float16_state, round_to_float16

    module = torch.nn.Linear(3, 2)
    module.register_buffer("precision", torch.tensor([1e6, 2.0]))
    with torch.no_grad():
        module.weight.copy_(torch.tensor([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]))
    round_to_float16(module)
    assert module.weight.dtype == torch.float32 and torch.equal(module.weight, module.weight.half().float())
    assert module.weight[0, 0].item() != pytest.approx(0.1, abs=1e-8)  # moved to the nearest float16 value
    assert torch.equal(module.precision, torch.tensor([1e6, 2.0]))  # not turned into infinity
    state = float16_state(module.state_dict())
    assert state["weight"].dtype == torch.float16 and state["precision"].dtype == torch.float32
    loaded = torch.nn.Linear(3, 2)
    loaded.register_buffer("precision", torch.zeros(2))
    loaded.load_state_dict(state)
    assert loaded.weight.dtype == torch.float32 and torch.equal(loaded.weight, module.weight)


def test_shipped_model_files_are_under_the_limit_for_tracked_files() -> None:
    """Every file git tracks under models/ (the OCR models fetched by setup are not tracked) is under 20 MB."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "-z", "models"], cwd=REPO_ROOT, capture_output=True, check=True,
                             text=True).stdout.split("\0")
    sizes = {p: (REPO_ROOT / p).stat().st_size for p in tracked if p and (REPO_ROOT / p).is_file()}
    assert "models/wood-classifier/model.onnx" in sizes
    assert {p: s for p, s in sizes.items() if s > 20 * 1024 * 1024} == {}
