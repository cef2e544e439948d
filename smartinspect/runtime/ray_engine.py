"""The Ray engine: each served model is a Ray Serve deployment with dynamic batching (``inference_engine="ray"``).

The API process is a Ray driver. Without ``ray_address`` it starts a local Ray (loopback, no dashboard, no HTTP
proxy: calls go through deployment handles); with one it joins that cluster. Each model package becomes one
Serve application ``smartinspect-<model name>`` with one deployment, :class:`BatchedModel`, whose replicas load the
package with the same runtime code as the in-process engine (sha256 checked, warmed up) and collect concurrent
calls with ``@serve.batch``: calls of the same shape are stacked along the batch axis and run as one graph run
(``runtime/batching.py``). Replicas read the package from ``models_dir``, which must be the same path on every
node (a shared volume).

Hot reload: a changed package is rolled out by deploying the application again with a new ``user_config``
(manifest, sha256, version); Serve applies it to the running replicas through :meth:`BatchedModel.reconfigure`,
which loads the new session beside the old one and swaps one reference, so calls in flight finish on the old
session and none fails. A package that does not load keeps the replica on its previous version, as in process.

Only :mod:`smartinspect.runtime.engine` imports this module, and only when the Ray engine is chosen.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import ray
from ray import serve

from smartinspect.runtime.batching import run_stacked
from smartinspect.runtime.engine import InProcessEngine
from smartinspect.runtime.registry import LoadedModel, ModelSpec, load_model

if TYPE_CHECKING:
    from smartinspect.config import RayDeploymentSettings, Settings

log = logging.getLogger(__name__)

NAMESPACE = "smartinspect"
APP_PREFIX = "smartinspect-"
CALL_TIMEOUT_S = 120.0  # one model call (queueing and batching included); a stuck replica fails the request


@serve.deployment(ray_actor_options={"num_cpus": 0})
class BatchedModel:
    """One model package on a replica. ``user_config`` (see :func:`deployment_config`) says which package and how
    to batch; each change arrives through :meth:`reconfigure`."""

    def __init__(self) -> None:
        self._loaded: LoadedModel | None = None
        self._batch_axis_dynamic = False
        self._error: str | None = None
        self._counts = {"calls": 0, "batches": 0, "graph_runs": 0}

    def reconfigure(self, config: dict[str, Any]) -> None:
        """Load the package ``config`` names beside the current one, then swap (calls in flight keep the old)."""
        try:
            spec = ModelSpec.from_manifest(Path(config["manifest"]))
            if spec.sha256 != config["sha256"]:
                raise ValueError(f"the package changed again while rolling out: sha256 {spec.sha256}, "
                                 f"expected {config['sha256']}")
            loaded = load_model(spec, providers=config["providers"], intra_op_threads=config["intra_op_threads"],
                                warm_up=config["warm_up"])
        except Exception as exc:
            if self._loaded is None:
                raise  # nothing to keep serving: the deployment fails, and the engine reports it
            self._error = f"{type(exc).__name__}: {exc} (still serving version {self._loaded.spec.version})"
            log.error("model %s: %s", self._loaded.spec.name, self._error)
            return
        self.run_batch.set_max_batch_size(config["max_batch_size"])
        self.run_batch.set_batch_wait_timeout_s(config["batch_wait_timeout_s"])
        self._batch_axis_dynamic = all(isinstance(t.shape[0], str) for t in spec.inputs) if spec.inputs else False
        self._loaded, self._error = loaded, None

    async def __call__(self, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        return await self.run_batch(inputs)

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def run_batch(self, calls: list[tuple[np.ndarray, ...]]) -> list[list[np.ndarray]]:
        loaded, dynamic = self._loaded, self._batch_axis_dynamic
        assert loaded is not None  # reconfigure ran before the replica took traffic
        # off the replica's event loop, so the next calls queue up (and form the next batch) while this one runs
        stacked = await asyncio.to_thread(run_stacked, loaded.model.run, calls, batch_axis_dynamic=dynamic)
        self._counts["calls"] += len(calls)
        self._counts["batches"] += 1
        self._counts["graph_runs"] += stacked.graph_runs
        return stacked.outputs

    def describe(self) -> dict[str, Any]:
        """What this replica serves: version, sha256, the session's names and metadata, batching counters."""
        loaded = self._loaded
        assert loaded is not None
        model = loaded.model
        return {"version": loaded.spec.version, "sha256": loaded.spec.sha256, "providers": model.providers,
                "input_names": model.input_names, "output_names": model.output_names, "metadata": model.metadata,
                "warmup_ms": loaded.warmup_ms, "error": self._error, "batch_axis_dynamic": self._batch_axis_dynamic,
                "counts": dict(self._counts)}


class RemoteModel:
    """A model served by a deployment, with the in-process model's face (runtime/engine.RunnableModel)."""

    engine = "ray"

    def __init__(self, handle: Any, info: dict[str, Any], *, timeout_s: float = CALL_TIMEOUT_S) -> None:
        self._handle = handle
        self._timeout_s = timeout_s
        self.providers: list[str] = list(info["providers"])
        self.input_names: list[str] = list(info["input_names"])
        self.output_names: list[str] = list(info["output_names"])
        self._metadata: dict[str, str] = dict(info["metadata"])

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self._metadata)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Send one call (blocking; call it from a worker thread, not the event loop). Outputs as ``OnnxModel``."""
        return self._handle.remote(tuple(inputs)).result(timeout_s=self._timeout_s)

    def describe_replica(self) -> dict[str, Any]:
        """One replica's :meth:`BatchedModel.describe` (which replica answers is Serve's choice)."""
        return self._handle.describe.remote().result(timeout_s=self._timeout_s)


def deployment_config(spec: ModelSpec, deployment: RayDeploymentSettings, settings: Settings) -> dict[str, Any]:
    """The ``user_config`` a replica receives: the package (manifest path, sha256, version) and its batching."""
    threads = deployment.intra_op_threads if deployment.intra_op_threads is not None else settings.onnx_intra_op_threads
    return {"manifest": str(spec.file.parent.resolve() / "manifest.json"), "sha256": spec.sha256,
            "version": spec.version, "providers": settings.onnx_providers, "intra_op_threads": threads,
            "warm_up": settings.onnx_warmup, "max_batch_size": deployment.max_batch_size,
            "batch_wait_timeout_s": deployment.batch_wait_timeout_s}


def deployment_options(spec: ModelSpec, deployment: RayDeploymentSettings, settings: Settings) -> dict[str, Any]:
    """Serve options: replicas or autoscaling, CPUs per replica, and enough calls in flight to fill a batch."""
    options: dict[str, Any] = {
        "name": spec.name,
        "user_config": deployment_config(spec, deployment, settings),
        "max_ongoing_requests": max(2 * deployment.max_batch_size, 8),
        "ray_actor_options": {"num_cpus": deployment.replica_num_cpus},
    }
    if deployment.min_replicas is not None:
        options["autoscaling_config"] = {"min_replicas": deployment.min_replicas,
                                         "max_replicas": deployment.max_replicas,
                                         "target_ongoing_requests": deployment.max_batch_size}
    else:
        options["num_replicas"] = deployment.num_replicas
    return options


class RayEngine:
    """Opens packages as Serve deployments (those in ``ray_models``, or all); the others in process."""

    name = "ray"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._in_process = InProcessEngine.from_settings(settings)
        self._connection = connect_ray(settings)
        serve.start(proxy_location="Disabled")  # handles only: the API is the HTTP front

    @classmethod
    def from_settings(cls, settings: Settings) -> RayEngine:
        return cls(settings)

    def serves(self, spec: ModelSpec) -> bool:
        return not self.settings.ray_models or spec.name in self.settings.ray_models

    def open_model(self, spec: ModelSpec) -> LoadedModel:
        """Deploy (or roll out a new version to) the model's application, then hand back a handle to it."""
        if not self.serves(spec):
            return self._in_process.open_model(spec)
        deployment = self.settings.ray_deployment_for(spec.name)
        app = BatchedModel.options(**deployment_options(spec, deployment, self.settings)).bind()
        handle = serve.run(app, name=APP_PREFIX + spec.name, route_prefix=None)
        model = RemoteModel(handle, {"providers": [], "input_names": [], "output_names": [], "metadata": {}})
        info = model.describe_replica()
        if info["version"] != spec.version or info["sha256"] != spec.sha256:
            raise RuntimeError(f"model {spec.name}: the deployment did not take version {spec.version} "
                               f"({info['error'] or 'it serves ' + info['version']})")
        log.info("model %s v%s served on Ray (%s)", spec.name, spec.version,
                 f"{deployment.min_replicas}-{deployment.max_replicas} replicas" if deployment.min_replicas is not None
                 else f"{deployment.num_replicas} replica(s)")
        return LoadedModel(spec=spec, model=RemoteModel(handle, info), loaded_at=datetime.now(UTC),
                           warmup_ms=float(info["warmup_ms"]))

    def close(self) -> None:
        """A Ray this engine started goes down with it; a joined cluster keeps its deployments (other API
        replicas share them) and this driver only disconnects; a connection the caller made is left alone."""
        if self._connection == "local":
            serve.shutdown()
        if self._connection is not None:
            ray.shutdown()


def connect_ray(settings: Settings) -> str | None:
    """Join ``ray_address`` ("joined"), or start a local Ray on loopback ("local"); None when this process was
    already connected (the caller owns that connection)."""
    if ray.is_initialized():
        return None
    runtime_env = {"env_vars": {"PYTHONPATH": _package_root()}}
    if settings.ray_address:
        ray.init(address=settings.ray_address, namespace=NAMESPACE, log_to_driver=False, runtime_env=runtime_env)
        return "joined"
    ray.init(num_cpus=settings.ray_num_cpus, include_dashboard=False, namespace=NAMESPACE, log_to_driver=False,
             runtime_env=runtime_env)  # loopback: runtime.engine.prepare_local_ray
    return "local"


def _package_root() -> str:
    """The folder holding the ``smartinspect`` package this process runs, first on the replicas' path (a source
    checkout or worktree then serves its own code, not another installed copy)."""
    root = str(Path(__file__).resolve().parents[2])
    existing = os.environ.get("PYTHONPATH", "")
    return f"{root}{os.pathsep}{existing}" if existing else root
