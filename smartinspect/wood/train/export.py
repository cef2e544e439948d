"""ONNX export of the wood classifier (logits, features, open-set distance) and the PyTorch-vs-ONNX parity check.

Storage is float16, compute float32: the network and its open-set statistics are rounded to float16 values before
calibration (``round_to_float16``), the ONNX graph keeps them as float16 initializers each followed by a Cast to
float32 (ONNX Runtime folds the casts when it loads the graph), and ``model.pt`` saves them as float16
(``float16_state``). The conversion is lossless once the values are rounded, so the served graph, the eager
network and the thresholds calibrated on them agree; it halves the package (a six-network model: 27 -> 14 MB per
file, under the 20 MB limit for tracked files). Batch normalisation is exported as its own nodes, not folded into
the convolutions: folded weights are products of rounded values, no longer float16 values.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from smartinspect.wood.train.network import ExportWrapper

# Initializers smaller than this stay float32 (scalars and tiny shape constants the tracer makes; nothing to save).
FLOAT16_MIN_ELEMENTS = 16


def _fits_float16(tensor: torch.Tensor) -> bool:
    """Floating, and no value beyond float16's range (65504): such a tensor (e.g. the precision matrix of
    features with a tiny variance) stays float32 rather than turn into infinities."""
    return tensor.is_floating_point() and bool(torch.isfinite(tensor.half()).all())


def round_to_float16(module: torch.nn.Module) -> torch.nn.Module:
    """Round every floating parameter and buffer of ``module`` that fits float16's range to the nearest float16
    value (kept as float32)."""
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            if _fits_float16(tensor):
                tensor.copy_(tensor.half().float())
    return module


def float16_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict for ``model.pt`` with its floating tensors that hold only float16 values stored as float16
    (``ExportWrapper.from_saved`` and ``load_checkpoint`` load them back into float32 modules)."""
    return {k: (v.half() if _fits_float16(v) and torch.equal(v.half().float(), v) else v) for k, v in state.items()}


def export_onnx(wrapper: ExportWrapper, path: Path, *, crop: int, opset: int = 17) -> Path:
    """Export with a dynamic batch axis, float16 storage (``store_float16``). Input ``images``: (batch, 3, crop,
    crop) float32 RGB 0-255."""
    wrapper = wrapper.eval()
    dummy = torch.zeros(2, 3, crop, crop)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = wrapper.output_names
    with warnings.catch_warnings():  # its advice is for a network in training mode; this one is in eval mode
        warnings.filterwarnings("ignore", message=".*constant folding be turned off.*")
        torch.onnx.export(
            wrapper, (dummy,), str(path), dynamo=False, input_names=["images"], output_names=names,
            dynamic_axes={"images": {0: "batch"}, **{name: {0: "batch"} for name in names}},
            opset_version=opset, do_constant_folding=True,
            training=torch.onnx.TrainingMode.PRESERVE,  # eval-mode batch norm, kept as nodes (not folded)
        )
    store_float16(path)
    return path


def store_float16(path: Path) -> dict[str, int]:
    """Rewrite the graph at ``path`` with each float32 initializer that holds only float16 values (and has at least
    ``FLOAT16_MIN_ELEMENTS``) stored as float16 and cast back to float32 where it was used. Lossless by
    construction: an initializer with any value float16 cannot hold exactly stays float32. Returns the counts."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    kept, casts, counts = [], [], {"float16": 0, "float32": 0}
    for init in graph.initializer:
        values = numpy_helper.to_array(init)
        if values.dtype == np.float32 and values.size >= FLOAT16_MIN_ELEMENTS:
            with np.errstate(over="ignore"):  # a value float16 cannot hold fails the equality below
                half = values.astype(np.float16)
            if np.array_equal(half.astype(np.float32), values):
                stored = numpy_helper.from_array(half, f"{init.name}__float16")
                kept.append(stored)
                casts.append(helper.make_node("Cast", [stored.name], [init.name], to=TensorProto.FLOAT,
                                              name=f"{init.name}__to_float32"))
                counts["float16"] += 1
                continue
            counts["float32"] += 1
        kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)  # topological order: the casts read initializers only
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return counts


def check_parity(wrapper: ExportWrapper, onnx_path: Path, batch: np.ndarray) -> dict[str, float]:
    """Max |difference| of logits, open-set scores and softmax probabilities: PyTorch eager vs ONNX Runtime."""
    from smartinspect.runtime import OnnxModel

    with torch.no_grad():
        eager = dict(zip(wrapper.output_names, (t.numpy() for t in wrapper.eval()(torch.from_numpy(batch))),
                         strict=True))
    model = OnnxModel(onnx_path, providers=["CPUExecutionProvider"])
    named = dict(zip(model.output_names, model.run(batch), strict=True))
    t_logits, t_dist, t_knn = eager["logits"], eager["distance"], eager["knn"]
    o_logits, o_dist, o_knn = named["logits"], named["distance"], named["knn"]
    extra = {"parity_max_abs_anatomy": float(np.abs(eager["anatomy"] - named["anatomy"]).max())} \
        if "anatomy" in eager else {}

    def probs(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    return {"parity_max_abs_logit": float(np.abs(t_logits - o_logits).max()),
            "parity_max_abs_distance": float(np.abs(t_dist - o_dist).max()),
            "parity_max_abs_knn": float(np.abs(t_knn - o_knn).max()),
            "parity_max_abs_probability": float(np.abs(probs(t_logits) - probs(o_logits)).max()),
            "parity_crops": float(len(batch)), **extra}
