"""``smartinspect bench wood``: photos/s through ONNX Runtime vs the same model in PyTorch eager, batch 1 and 16.

Same weights (the shipped package's ``model.onnx`` and the ``model.pt`` it was exported from, open-set head
included), same inputs (the 2x2 crops of generated end-grain photos, prepared once), same thread count. A "photo"
is what the service scores: its four crops. Batch 16 is 16 photos (64 crops) per call. The end-to-end service path
(decode, view, gate, model, decision) is timed too, for ONNX Runtime only (serving never runs PyTorch). Both
runtimes are measured on 1 and on 2 threads: on a shared machine OpenMP spinning makes 2 threads unreliable.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import numpy as np

from smartinspect.config import get_settings
from smartinspect.domain.tasks import WOOD_TASK
from smartinspect.runtime import ModelRegistry
from smartinspect.wood.inferencer import WoodClassifier


def make_photos(n: int, seed: int, taxa: tuple[str, ...]) -> list[bytes]:
    from smartinspect.wood.datagen import anatomy_of, render_end_grain

    rng = np.random.default_rng(seed)
    return [render_end_grain(rng, anatomy_of(taxa[i % len(taxa)])).jpeg for i in range(n)]


def _eager(package_dir, threads: int):
    import torch

    from smartinspect.wood.train.network import ExportWrapper

    torch.set_num_threads(threads)
    saved = torch.load(package_dir / "model.pt", map_location="cpu", weights_only=True)
    return ExportWrapper.from_saved(saved), torch


def _throughput(run: Callable[[np.ndarray], object], batches: list[np.ndarray], photos_per_batch: int,
                min_seconds: float) -> float:
    run(batches[0])  # warm-up, not timed
    done, start = 0, time.perf_counter()
    while True:
        for b in batches:
            run(b)
            done += photos_per_batch
        if time.perf_counter() - start >= min_seconds:
            return done / (time.perf_counter() - start)


def _measure(loaded, crops: list[np.ndarray], threads: int, min_seconds: float) -> dict:
    """ONNX Runtime and PyTorch eager, both on ``threads`` threads, at batch 1 and 16 photos."""
    from smartinspect.runtime import OnnxModel

    session = OnnxModel(loaded.spec.file, providers=loaded.model.providers, intra_op_threads=threads)
    wrapper, torch = _eager(loaded.spec.file.parent, threads)

    def ort(batch: np.ndarray) -> object:
        return session.run(batch)

    def eager(batch: np.ndarray) -> object:
        with torch.inference_mode():
            return wrapper(torch.from_numpy(batch))

    out = {}
    for size in (1, 16):
        batches = [np.concatenate(crops[i:i + size]) for i in range(0, len(crops) - size + 1, size)]
        ort_ps = _throughput(ort, batches, size, min_seconds)
        eager_ps = _throughput(eager, batches, size, min_seconds)
        out[f"batch_{size}"] = {"onnxruntime_photos_per_s": round(ort_ps, 1),
                                "pytorch_eager_photos_per_s": round(eager_ps, 1), "speedup": round(ort_ps / eager_ps, 2)}
    sample = np.concatenate(crops[:4])
    with torch.inference_mode():
        eager_logits = wrapper(torch.from_numpy(sample))[0].numpy()
    out["parity_max_abs_logit"] = float(np.abs(eager_logits - session.run(sample)[0]).max())
    return out


def run_wood_benchmark(*, n_photos: int = 64, seed: int = 4242, min_seconds: float = 4.0,
                       threads: tuple[int, ...] = (1, 2)) -> dict:
    from smartinspect.wood.decode import decode_photo
    from smartinspect.wood.preprocess import analysis_view, grid_crops, to_batch
    from smartinspect.wood.screening import screen_views

    loaded = ModelRegistry.from_settings(get_settings()).by_task(WOOD_TASK)
    classifier = WoodClassifier(loaded)
    p = classifier.params
    photos = make_photos(n_photos, seed, p.taxa)
    views = [analysis_view(decode_photo(b, max_pixels=10**9, min_side=16, analysis_side=p.analysis_side).rgb,
                           p.analysis_side) for b in photos]
    crops = [to_batch(grid_crops(v, p.crop, p.grid)) for v in views]
    result: dict = {"photos": n_photos, "crops_per_photo": p.grid ** 2, "crop_px": p.crop}
    for t in threads:
        result[f"threads_{t}"] = _measure(loaded, crops, t, min_seconds)
    start = time.perf_counter()
    for b in photos:
        view = analysis_view(decode_photo(b, max_pixels=10**9, min_side=16, analysis_side=p.analysis_side).rgb,
                             p.analysis_side)
        screen_views(classifier, [view], declared_species="Khaya ivorensis")
    result["service_path_photos_per_s"] = round(n_photos / (time.perf_counter() - start), 1)
    import onnxruntime
    import torch

    result["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(),
                         "onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
                         "providers": loaded.model.providers}
    result["model"] = {"name": loaded.spec.name, "version": loaded.spec.version, "sha256": loaded.spec.sha256}
    return result
