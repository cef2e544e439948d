"""ONNX export of the wood classifier (logits, features, open-set distance) and the PyTorch-vs-ONNX parity check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from smartinspect.training.wood_model import ExportWrapper

def export_onnx(wrapper: ExportWrapper, path: Path, *, crop: int, opset: int = 17) -> Path:
    """Export with a dynamic batch axis. Input ``images``: (batch, 3, crop, crop) float32 RGB 0-255."""
    wrapper = wrapper.eval()
    dummy = torch.zeros(2, 3, crop, crop)
    path.parent.mkdir(parents=True, exist_ok=True)
    names = wrapper.output_names
    torch.onnx.export(
        wrapper, (dummy,), str(path), dynamo=False, input_names=["images"], output_names=names,
        dynamic_axes={"images": {0: "batch"}, **{name: {0: "batch"} for name in names}},
        opset_version=opset, do_constant_folding=True,
    )
    return path


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
