"""Dynamic batching's core: concurrent calls stacked into one graph run give each call exactly its own outputs."""

import numpy as np
import pytest

from smartinspect.runtime.batching import run_stacked
from smartinspect.runtime.engine import InProcessEngine, make_inference_engine, on_loopback


class CountingGraph:
    """A stand-in graph with a batch axis: per row, the sum over the row and the row doubled."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        self.batch_sizes.append(x.shape[0])
        return [x.reshape(len(x), -1).sum(axis=1), x * 2]


def _calls(rng, sizes, shape=(3, 4)):
    return [(rng.normal(size=(n, *shape)).astype(np.float32),) for n in sizes]


def test_calls_of_one_shape_run_as_one_batch_and_get_their_own_rows():
    rng = np.random.default_rng(0)
    calls = _calls(rng, [2, 1, 5])
    graph = CountingGraph()
    result = run_stacked(graph, calls, batch_axis_dynamic=True)
    assert graph.batch_sizes == [8] and result.graph_runs == 1
    for (x,), (sums, doubled) in zip(calls, result.outputs, strict=True):
        np.testing.assert_allclose(sums, x.reshape(len(x), -1).sum(axis=1), rtol=1e-6)
        np.testing.assert_array_equal(doubled, x * 2)


def test_calls_of_other_shapes_or_a_fixed_batch_run_apart():
    rng = np.random.default_rng(1)
    calls = _calls(rng, [2, 3]) + _calls(rng, [4], shape=(3, 8))  # a third call padded to another width
    graph = CountingGraph()
    result = run_stacked(graph, calls, batch_axis_dynamic=True)
    assert sorted(graph.batch_sizes) == [4, 5] and result.graph_runs == 2
    assert [o[1].shape for o in result.outputs] == [(2, 3, 4), (3, 3, 4), (4, 3, 8)]
    fixed = CountingGraph()
    assert run_stacked(fixed, calls, batch_axis_dynamic=False).graph_runs == 3 and fixed.batch_sizes == [2, 3, 4]


def test_a_graph_that_drops_the_batch_axis_runs_each_call_alone():
    calls = _calls(np.random.default_rng(2), [2, 2])
    result = run_stacked(lambda x: [x.sum(keepdims=False)], calls, batch_axis_dynamic=True)
    assert result.graph_runs == 3  # the stacked try, then each call
    assert [float(o[0]) for o in result.outputs] == pytest.approx([float(c[0].sum()) for c in calls], rel=1e-5)


def test_stacking_a_shipped_model_gives_each_call_its_own_output():
    """The shipped wood classifier takes any batch: two calls stacked give what each call gets alone."""
    from smartinspect.config import REPO_ROOT
    from smartinspect.runtime import ModelRegistry

    registry = ModelRegistry.from_directory(REPO_ROOT / "models", warm_up=False, intra_op_threads=1)
    model = registry.get("wood-classifier").model  # small: a (N, 3, 128, 128) batch
    rng = np.random.default_rng(3)
    calls = [(rng.normal(size=(n, 3, 128, 128)).astype(np.float32),) for n in (1, 3)]
    result = run_stacked(model.run, calls, batch_axis_dynamic=True)
    assert result.graph_runs == 1
    for call, outputs in zip(calls, result.outputs, strict=True):
        for got, alone in zip(outputs, model.run(*call), strict=True):
            np.testing.assert_allclose(got, alone, rtol=1e-4, atol=1e-4)


def test_the_embedded_default_engine_needs_no_ray(settings):
    engine = make_inference_engine(settings)
    assert isinstance(engine, InProcessEngine) and engine.name == "in_process"


@pytest.mark.parametrize(("address", "loopback"), [
    ("", True), ("127.0.0.1:6379", True), ("localhost:6379", True), ("ray://127.0.0.1:10001", True),
    ("auto", False), ("10.0.0.5:6379", False), ("ray://head.svc:10001", False),
])
def test_single_node_ray_is_recognised_by_its_address(address, loopback):
    assert on_loopback(address) is loopback


def test_ray_deployment_settings_per_model_and_their_bounds(monkeypatch):
    from pydantic import ValidationError

    from smartinspect.config import RayDeploymentSettings, Settings

    monkeypatch.setenv("SMARTINSPECT_RAY_DEPLOYMENTS", '{"ocr-rec": {"max_batch_size": 16, "num_replicas": 2}}')
    settings = Settings(_env_file=None, inference_engine="ray")
    assert settings.ray_deployment_for("ocr-rec").max_batch_size == 16
    assert settings.ray_deployment_for("xray-detector") == RayDeploymentSettings()
    with pytest.raises(ValidationError, match="min_replicas"):
        RayDeploymentSettings(min_replicas=1)
    with pytest.raises(ValidationError, match="> max_replicas"):
        RayDeploymentSettings(min_replicas=3, max_replicas=2)
