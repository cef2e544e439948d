"""The X-ray benchmark's FLOP count (the achieved GFLOP/s it reports is only as right as this count)."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="the train extra is not installed")


def test_conv_and_matmul_flops_are_counted_from_the_graph(tmp_path) -> None:
    from onnx import TensorProto, helper, numpy_helper

    from smartinspect.xray.bench import detector_flops_per_tile

    w1 = numpy_helper.from_array(np.zeros((8, 3, 3, 3), np.float32), "w1")
    w2 = numpy_helper.from_array(np.zeros((16, 2, 1, 1), np.float32), "w2")  # grouped: 8 in / 4 groups
    m = numpy_helper.from_array(np.zeros((32, 5), np.float32), "m")
    nodes = [
        helper.make_node("Conv", ["images", "w1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Conv", ["c1", "w2"], ["c2"], group=4),
        helper.make_node("MatMul", ["c2", "m"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, "h", "w"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], initializer=[w1, w2, m])
    path = tmp_path / "g.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    # 64x64 tile: conv1 out 8x32x32, 27 MACs each; conv2 out 16x32x32, 2 MACs each; matmul out 16x32x5, 32 each
    expected = 2 * (8 * 32 * 32 * 27 + 16 * 32 * 32 * 2 + 16 * 32 * 5 * 32)
    assert detector_flops_per_tile(path, 64) == pytest.approx(expected)


def test_shapes_inference_cannot_give_are_probed_by_running_the_graph():
    """EfficientNet's TF-style padding hides shapes from ONNX shape inference; the probe runs the graph once."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from smartinspect.xray.bench import _probed_shapes

    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), name="w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["images", "w"], ["hidden"]), helper.make_node("Relu", ["hidden"], ["out"])],
        "g", [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, "h", "w"])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 4, "h2", "w2"])], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    assert _probed_shapes(model, ["hidden", "out"], 16) == {"hidden": [1, 4, 14, 14], "out": [1, 4, 14, 14]}
