"""Inference engines: how a model package becomes something a kind's code can ``run``.

The kinds call ``loaded.model.run(*arrays)`` and read ``input_names``, ``output_names``, ``providers`` and
``metadata``; they never know where the graph runs. An engine opens a package (a :class:`ModelSpec`) into a
:class:`LoadedModel` whose ``model`` answers those calls:

- ``in_process`` (the embedded default, ``make demo``): an ONNX Runtime session in this process, as always;
- ``ray``: a Ray Serve deployment per model with dynamic batching (``runtime/ray_engine.py``, the ``ray`` extra);
  the ``model`` is a handle that sends each call to the deployment.

``ModelRegistry.from_settings`` takes the engine, so hot reload, readiness and ``GET /v1/models`` stay one code
path for both.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from smartinspect.runtime.registry import LoadedModel, ModelSpec, load_model

if TYPE_CHECKING:
    from smartinspect.config import Settings


@runtime_checkable
class RunnableModel(Protocol):
    """What kinds use of a model: an ONNX Runtime session in process (``OnnxModel``) or a remote deployment."""

    providers: list[str]
    input_names: list[str]
    output_names: list[str]

    @property
    def metadata(self) -> dict[str, str]: ...

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]: ...


class InferenceEngine(Protocol):
    """Opens model packages for serving. ``name`` is the settings value that selects it."""

    name: str

    def open_model(self, spec: ModelSpec) -> LoadedModel: ...

    def close(self) -> None: ...


class InProcessEngine:
    """ONNX Runtime sessions in this process, with the settings' providers, threads and warm-up."""

    name = "in_process"

    def __init__(self, *, providers: list[str] | None = None, intra_op_threads: int = 0,
                 warm_up: bool = True) -> None:
        self.providers = providers
        self.intra_op_threads = intra_op_threads
        self.warm_up = warm_up

    @classmethod
    def from_settings(cls, settings: Settings) -> InProcessEngine:
        return cls(providers=settings.onnx_providers, intra_op_threads=settings.onnx_intra_op_threads,
                   warm_up=settings.onnx_warmup)

    def open_model(self, spec: ModelSpec) -> LoadedModel:
        return load_model(spec, providers=self.providers, intra_op_threads=self.intra_op_threads,
                          warm_up=self.warm_up)

    def close(self) -> None:
        """Nothing to release: sessions go with their registry."""


ENGINES = ("in_process", "ray")


def on_loopback(ray_address: str) -> bool:
    """No address (a local Ray is started) or one on this machine's loopback (a local Ray another process
    started): the single-node case."""
    host = ray_address.removeprefix("ray://").rsplit(":", 1)[0]
    return not ray_address or host in ("localhost", "::1", "[::1]") or host.startswith("127.")


def prepare_local_ray() -> None:
    """Environment for a local, single-node Ray, set before Ray is imported (Ray reads it at import):

    - every Ray process binds to loopback, not the machine's address (Ray otherwise swaps 127.0.0.1 for the
      routable address: single-node mode is its Windows/macOS default);
    - Ray's helper processes get more than Ray's 15 s to report their ports, which a busy 2-core machine needs;
    - no usage statistics.
    """
    for name, value in (("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0"), ("RAY_agent_register_timeout_ms", "120000"),
                        ("RAY_USAGE_STATS_ENABLED", "0")):
        os.environ.setdefault(name, value)


def make_inference_engine(settings: Settings) -> InferenceEngine:
    """The engine ``settings.inference_engine`` names. Ray is imported only here, only when it is chosen."""
    if settings.inference_engine == "in_process":
        return InProcessEngine.from_settings(settings)
    if settings.inference_engine == "ray":
        if on_loopback(settings.ray_address):
            prepare_local_ray()
        try:
            from smartinspect.runtime.ray_engine import RayEngine
        except ImportError as exc:  # pragma: no cover - depends on the install
            msg = "inference_engine 'ray' needs Ray Serve: install the ray extra, `pip install -e .[ray]`"
            raise RuntimeError(msg) from exc
        return RayEngine.from_settings(settings)
    raise ValueError(f"unknown inference engine {settings.inference_engine!r}; valid engines: {', '.join(ENGINES)}")
