"""``smartinspect bench ocr``: our OCR engine vs RapidOCR's default ``RapidOCR()(page)``, same pages, same models.

Both read the same decoded BGR pages; RapidOCR loads the det/cls/rec files of its wheel, which are byte-identical
to ours (their sha256s are checked and reported). Pages are timed alternately (ours, theirs, theirs, ours, ...) so
load from other processes on the machine falls on both alike. Text accuracy: 1 - normalised edit distance of the
reading-order page text (whitespace inside lines ignored) and line recall, both against exact ground truth.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.config import get_settings
from smartinspect.ocr.bench_pages import BenchPage, make_bench_pages
from smartinspect.ocr.engine import OcrEngine
from smartinspect.ocr.metrics import char_accuracy, char_bag_f1, line_recall
from smartinspect.runtime import ModelRegistry, file_sha256


def bench_pages(source: str, *, n_pages: int, seed: int, pages_dir: Path | None) -> tuple[list[BenchPage], str]:
    """The pages and a description. ``source``: ``generator`` (part 2's document generator, held-out layouts),
    ``own`` (this module's rendered pages) or ``dir`` (a generated set on disk, ``pages_dir``)."""
    if source == "dir":
        if pages_dir is None:
            raise ValueError("--source dir needs --pages-dir")
        from smartinspect.ocr.bench_dataset import read_generated_pages

        return read_generated_pages(pages_dir, limit=n_pages), f"{pages_dir} (first {n_pages} single-page documents)"
    if source == "generator":
        from smartinspect.ocr.bench_dataset import generate_pages

        return generate_pages(n_pages, seed), f"smartinspect datagen documents generator, held-out layouts, seed {seed}"
    if source == "own":
        return make_bench_pages(n_pages, seed), f"smartinspect.ocr.bench_pages, seed {seed}"
    raise ValueError(f"unknown page source {source!r}; use generator, own or dir")


def _rapidocr() -> Callable[[np.ndarray], list[str]]:
    import logging

    from rapidocr import RapidOCR

    engine = RapidOCR()
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)

    def read(page: np.ndarray) -> list[str]:
        result = engine(page)
        return list(result.txts) if getattr(result, "txts", None) is not None else []

    return read


def _model_files_match(registry: ModelRegistry) -> dict[str, Any]:
    from smartinspect.ocr.package import rapidocr_dir

    source = rapidocr_dir() / "models"
    checks = {}
    for task in ("ocr-detection", "ocr-angle", "ocr-recognition"):
        spec = registry.by_task(task).spec
        theirs = source / spec.file.name
        checks[spec.name] = {"file": spec.file.name, "sha256": spec.sha256,
                             "identical_to_rapidocr_wheel": theirs.is_file() and file_sha256(theirs) == spec.sha256}
    return checks


def _score(pages: list[BenchPage], outputs: list[list[str]]) -> dict[str, float]:
    accuracy = [char_accuracy("\n".join(out), "\n".join(p.lines)) for p, out in zip(pages, outputs, strict=True)]
    # recognition alone, whatever each engine's reading order or line cutting: F1 of the character multisets
    unordered = [char_bag_f1("".join(out), "".join(p.lines)) for p, out in zip(pages, outputs, strict=True)]
    recall = [line_recall(out, p.lines) for p, out in zip(pages, outputs, strict=True)]
    return {"char_accuracy": round(float(np.mean(accuracy)), 4),
            "char_f1_unordered": round(float(np.mean(unordered)), 4),
            "line_recall": round(float(np.mean(recall)), 4)}


def _by_kind(pages: list[BenchPage], outputs: list[list[str]]) -> dict[str, dict[str, float]]:
    kinds = sorted({p.kind for p in pages})
    return {kind: _score([p for p in pages if p.kind == kind], [o for p, o in zip(pages, outputs, strict=True)
                                                                  if p.kind == kind]) for kind in kinds}


def run_ocr_benchmark(*, n_pages: int = 12, seed: int = 4343, source: str = "generator",
                      pages_dir: Path | None = None) -> dict[str, Any]:
    load_at_start = round(os.getloadavg()[0], 2)
    settings = get_settings()
    registry = ModelRegistry.from_settings(settings)
    engine = OcrEngine.from_settings(registry, settings)
    pages, description = bench_pages(source, n_pages=n_pages, seed=seed, pages_dir=pages_dir)
    rapid = _rapidocr()

    def ours(page: np.ndarray) -> list[str]:
        return [line.text for line in engine.read_image(page).lines]

    ours(pages[0].image)  # warm-up, not timed
    rapid(pages[0].image)
    times = {"ours": 0.0, "rapidocr": 0.0}
    cpu = {"ours": 0.0, "rapidocr": 0.0}  # this process's CPU seconds: the work done, whatever the load
    outputs: dict[str, list[list[str]]] = {"ours": [], "rapidocr": []}
    for i, page in enumerate(pages):
        order = (("ours", ours), ("rapidocr", rapid)) if i % 2 == 0 else (("rapidocr", rapid), ("ours", ours))
        for name, read in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            outputs[name].append(read(page.image))
            times[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - start_cpu
    import onnxruntime
    import rapidocr

    result: dict[str, Any] = {
        "pages": len(pages),
        "page_source": description,
        "page_sizes": sorted({f"{p.image.shape[1]}x{p.image.shape[0]}" for p in pages}),
        "kinds": {k: sum(p.kind == k for p in pages) for k in sorted({p.kind for p in pages})},
    }
    for name in ("ours", "rapidocr"):
        result[name] = {"seconds_per_page": round(times[name] / len(pages), 4),
                        "pages_per_s": round(len(pages) / times[name], 3),
                        "cpu_seconds_per_page": round(cpu[name] / len(pages), 4),
                        **_score(pages, outputs[name]), "by_kind": _by_kind(pages, outputs[name])}
    result["speedup"] = round(times["rapidocr"] / times["ours"], 2)
    result["cpu_ratio"] = round(cpu["rapidocr"] / cpu["ours"], 2)
    result["models"] = _model_files_match(registry)
    result["machine"] = {"cpus": os.cpu_count(), "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
                         "load_avg_1m_at_start": load_at_start,
                         "platform": platform.platform(), "onnxruntime": onnxruntime.__version__,
                         "rapidocr": rapidocr.__version__ if hasattr(rapidocr, "__version__") else "3.10.0",
                         "ocr_workers": settings.ocr_workers, "ocr_intra_op_threads": settings.ocr_intra_op_threads,
                         "rapidocr_threads": "its defaults (ONNX Runtime picks, spinning on)"}
    return result
