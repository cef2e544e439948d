"""``smartinspect bench xray``: the served scan pipeline vs ultralytics + SAHI slicing.

Ours: the served champion on ONNX Runtime, tiled, with everything the service runs on a scan (preprocessing,
detection, the empty-container check, the site's anomaly model, the verdict). The baseline: the off-the-shelf way,
ultralytics + SAHI slicing a YOLO package's PyTorch weights (``--baseline``; by default the champion itself when
it is a YOLO package). Same full-size 40 ft scans, decoded 16-bit, preprocessing included on both sides.

Also measured in the same run: the detector graph's achieved GFLOP/s (its multiply-adds per tile, counted from
the ONNX graph, over the time ONNX Runtime takes for a batch of tiles) beside numpy's SGEMM GFLOP/s.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import numpy as np

from smartinspect.config import get_settings
from smartinspect.domain.tasks import XRAY_TASK
from smartinspect.runtime import ModelRegistry
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.evaluate import ScanEval, recall_at
from smartinspect.xray.pipeline import ScanAnalyzer
from smartinspect.xray.preprocess import to_model_input
from smartinspect.xray.types import Detections

THREATS = (["firearm"], ["drugs"], ["cigarettes"], ["concealment"], ["firearm", "drugs"])


def make_scans(n_scans: int, seed: int) -> list:
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    rng = np.random.default_rng(seed)
    return [generate_scan(rng, XrayGenConfig(), container="40ft", force_empty=False,
                          force_threats=THREATS[i % len(THREATS)]) for i in range(n_scans)]


def _sahi_model(weights: Path, threshold: float):
    from sahi import AutoDetectionModel

    return AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=str(weights),
                                              confidence_threshold=threshold, device="cpu")


def _sahi_predict(model, scan_high: np.ndarray, *, window: float, mode: str, tile: int, overlap: int,
                  ) -> Detections:
    import cv2
    from sahi.predict import get_sliced_prediction

    # SAHI takes RGB and hands ultralytics BGR, which flips it back: the model sees our channel order.
    view = to_model_input(to_attenuation(scan_high), window=window, mode=mode)
    if view.ndim == 2:
        view = cv2.cvtColor(view, cv2.COLOR_GRAY2RGB)
    ratio = overlap / tile
    result = get_sliced_prediction(view, model, slice_height=tile, slice_width=tile, overlap_height_ratio=ratio,
                                   overlap_width_ratio=ratio, verbose=0)
    preds = result.object_prediction_list
    return Detections(
        np.array([p.bbox.to_xyxy() for p in preds], dtype=np.float32).reshape(-1, 4),
        np.array([p.score.value for p in preds], dtype=np.float32),
        np.array([p.category.id for p in preds], dtype=np.int64),
    )


def detector_flops_per_tile(onnx_path: Path, tile: int) -> float:
    """Multiply-adds x 2 of one ``tile`` x ``tile`` input through the graph (Conv, ConvTranspose, Gemm, MatMul),
    from ONNX shape inference."""
    import onnx
    from onnx import numpy_helper, shape_inference

    model = onnx.load(str(onnx_path))
    for graph_input in model.graph.input:
        dims = graph_input.type.tensor_type.shape.dim
        for i, value in enumerate((1, None, tile, tile)):
            if value is not None and i < len(dims):
                dims[i].ClearField("dim_param")
                dims[i].dim_value = value
    # data propagation: the TF-style "same" padding of EfficientNet computes its Pad sizes from Shape ops, and without
    # it no shape after the first Pad is inferred (the CenterNet detector counted 0 FLOPs)
    model = shape_inference.infer_shapes(model, data_prop=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in (*model.graph.value_info, *model.graph.output, *model.graph.input)}
    weights = {t.name: numpy_helper.to_array(t).shape for t in model.graph.initializer}
    counted = [n for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul")]
    if any(not shapes.get(n.output[0]) or any(d <= 0 for d in shapes[n.output[0]]) for n in counted):
        shapes.update(_probed_shapes(model, [n.output[0] for n in counted] + [n.input[0] for n in counted], tile))
    macs = 0.0
    for node in model.graph.node:
        out = shapes.get(node.output[0])
        if not out or any(d <= 0 for d in out):
            continue
        if node.op_type in ("Conv", "ConvTranspose") and node.input[1] in weights:
            w = weights[node.input[1]]  # (Cout, Cin / groups, kh, kw)
            per_output = float(np.prod(w[1:]))
            macs += float(np.prod(out)) * per_output
        elif node.op_type in ("Gemm", "MatMul"):
            a = shapes.get(node.input[0]) or []
            if a:
                macs += float(np.prod(out)) * a[-1]
    return 2.0 * macs


def _probed_shapes(model, names: list[str], tile: int) -> dict[str, list[int]]:
    """Shapes that inference could not give (EfficientNet's TF-style "same" padding computes its Pad sizes from Shape
    ops): the tensors made graph outputs and the graph run once on a zero tile."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    for name in dict.fromkeys(names):
        if name not in known and name not in {i.name for i in probe.graph.input}:
            probe.graph.output.append(onnx.ValueInfoProto(name=name))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: np.zeros((1, 3, tile, tile), np.float32)}
    outputs = session.run(None, feed)
    return {o.name: list(v.shape) for o, v in zip(session.get_outputs(), outputs, strict=True)}


def sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """numpy float32 matrix product (the BLAS it is built with), best of ``repeats``."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2.0 * n**3 / best / 1e9


def detector_gflops(loaded, tile: int, batch: int) -> float:
    """Achieved GFLOP/s of the detector graph on a batch of random tiles (best of 5)."""
    flops = detector_flops_per_tile(loaded.spec.file, tile)
    x = np.random.default_rng(0).random((batch, 3, tile, tile), dtype=np.float32)
    loaded.model.run(x)
    best = min(_seconds(lambda: loaded.model.run(x)) for _ in range(5))
    return flops * batch / best / 1e9


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed(fn, scans) -> tuple[list[Detections], float]:
    fn(scans[0])  # warm-up, not timed
    start = time.perf_counter()
    out = [fn(s) for s in scans]
    return out, time.perf_counter() - start


def run_xray_benchmark(*, n_scans: int = 10, seed: int = 4242, baseline: Path | None = None) -> dict:
    from smartinspect.runtime import load_package

    settings = get_settings()
    registry = ModelRegistry.from_settings(settings)
    loaded = registry.by_task(XRAY_TASK)
    analyzer = ScanAnalyzer.from_registry(registry, sites=settings.anomaly_sites)
    base = load_package(baseline) if baseline is not None else loaded
    weights = base.spec.file.with_name("model.pt")
    if not weights.exists():
        raise FileNotFoundError(f"{weights} is missing: the baseline is a YOLO package with its PyTorch weights "
                                "(--baseline DIR; docs/xray.md says how to get the previous one)")
    b = ScanAnalyzer(base).detector.params
    p = analyzer.detector.params
    scans = make_scans(n_scans, seed)
    pitch = scans[0].manifest["pitch_mm"]
    ours_runs: list = []

    def ours_fn(s):
        result = analyzer.analyse(s.high, pitch_mm=pitch, low=s.low)
        ours_runs.append(result.analysis.timings_ms)
        return result.detections

    ours, ours_s = _timed(ours_fn, scans)
    sahi_model = _sahi_model(weights, b.min_score)
    sahi, sahi_s = _timed(lambda s: _sahi_predict(sahi_model, s.high, window=b.window, mode=b.input_mode,
                                                  tile=b.tile, overlap=b.overlap), scans)

    def recall(dets: list[Detections], params) -> dict[str, float]:
        evals = [ScanEval(f"bench-{i}", [(c, list(b)) for c, *b in s.boxes], d, False, False, False, True, 0.0)
                 for i, (s, d) in enumerate(zip(scans, dets, strict=True))]
        thresholds = {"inspect": params.inspect_threshold, "review": params.review_threshold, "0.25": 0.25}
        return {name: round(recall_at(evals, t), 4) for name, t in thresholds.items()}

    import onnxruntime
    import sahi as sahi_pkg
    import ultralytics

    stages = {k: round(float(np.mean([t.get(k, 0.0) for t in ours_runs[1:]])), 1) for k in ours_runs[-1]}
    sgemm = sgemm_gflops()
    achieved = detector_gflops(loaded, p.tile, p.batch_size)
    return {
        "scans": n_scans,
        "scan_size": list(scans[0].high.shape[::-1]),
        "ours_onnxruntime": {"seconds_per_scan": round(ours_s / n_scans, 4), "scans_per_s": round(n_scans / ours_s, 3),
                             "recall": recall(ours, p), "stages_ms": stages, "providers": loaded.model.providers,
                             "model": {"name": loaded.spec.name, "version": loaded.spec.version, "head": p.head,
                                       "tile": p.tile, "overlap": p.overlap, "input_mode": p.input_mode},
                             "anomaly": (analyzer.anomaly.loaded.spec.name if analyzer.anomaly is not None else None)},
        "baseline_ultralytics_sahi": {"seconds_per_scan": round(sahi_s / n_scans, 4),
                                      "scans_per_s": round(n_scans / sahi_s, 3), "recall": recall(sahi, b),
                                      "model": {"name": base.spec.name, "version": base.spec.version,
                                                "tile": b.tile, "overlap": b.overlap}},
        "speedup": round(sahi_s / ours_s, 2),
        "detector_gflops": {"flops_per_tile": round(detector_flops_per_tile(loaded.spec.file, p.tile) / 1e9, 3),
                            "achieved_gflops": round(achieved, 2), "numpy_sgemm_gflops": round(sgemm, 2),
                            "fraction_of_sgemm": round(achieved / sgemm, 3), "batch": p.batch_size},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "onnxruntime": onnxruntime.__version__,
                    "ultralytics": ultralytics.__version__, "sahi": sahi_pkg.__version__},
    }
