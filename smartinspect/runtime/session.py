"""ONNX Runtime sessions: provider choice (TensorRT > CUDA > CPU), session options and warm-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PROVIDER_PREFERENCE = (
    "TensorrtExecutionProvider",
    "CUDAExecutionProvider",
    "CPUExecutionProvider",
)


def _ort():
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - depends on the install
        msg = "onnxruntime is not installed: install the serving extra, `pip install -e .[serve]`"
        raise RuntimeError(msg) from exc
    return ort


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """Providers to use, best first. ``requested`` narrows the choice; unavailable ones are dropped with a warning."""
    available = _ort().get_available_providers()
    wanted = list(requested) if requested else list(PROVIDER_PREFERENCE)
    missing = [p for p in wanted if p not in available]
    if requested and missing:
        log.warning("requested ONNX providers not available here: %s (available: %s)", missing, available)
    chosen = [p for p in wanted if p in available]
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


class OnnxModel:
    """One ONNX Runtime session with its input/output names. Thread-safe: ORT sessions allow concurrent ``run``."""

    def __init__(
        self,
        path: Path,
        *,
        providers: Sequence[str] | None = None,
        intra_op_threads: int = 0,
    ) -> None:
        ort = _ort()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if intra_op_threads > 0:
            options.intra_op_num_threads = intra_op_threads
        self.path = Path(path)
        self.session = ort.InferenceSession(str(self.path), sess_options=options, providers=choose_providers(providers))
        self.providers: list[str] = self.session.get_providers()
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]

    @property
    def metadata(self) -> dict[str, str]:
        """The graph's custom metadata (e.g. the OCR recogniser's character list)."""
        return dict(self.session.get_modelmeta().custom_metadata_map)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Run the graph on positional inputs (in the model's input order)."""
        feed = dict(zip(self.input_names, inputs, strict=True))
        return self.session.run(self.output_names, feed)

    def warm_up(self, shapes: Sequence[Sequence[int]], dtype: str = "float32", runs: int = 2) -> float:
        """Run ``runs`` times on zeros so lazy allocations and kernel choices happen before the first request.

        Returns the last run's latency in seconds.
        """
        zeros = [np.zeros(tuple(shape), dtype=dtype) for shape in shapes]
        elapsed = 0.0
        for _ in range(runs):
            start = time.perf_counter()
            self.run(*zeros)
            elapsed = time.perf_counter() - start
        return elapsed
