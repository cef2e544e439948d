"""``smartinspect bench serving``: one request at a time in process vs Ray Serve with dynamic batching.

Concurrent clients (threads of this process, as the API's worker threads are) send the same inputs to the same
serving code the API runs after decoding an upload: ``ScanAnalyzer.analyse`` for a scan (resample, tiles,
detector, emptiness, verdict) and ``OcrEngine.read_images`` for a document page (detection, orientation,
recognition). Three ways to run the models, one after the other on the same machine:

- ``per_request``: the in-process engine, one request at a time (a lock: the embedded service's baseline);
- ``in_process_concurrent``: the in-process engine, requests concurrently on the shared sessions (for reference:
  how much comes from concurrency alone);
- ``ray_batched``: the Ray engine, each model a Serve deployment whose ``@serve.batch`` stacks concurrent calls.

At each concurrency level every client sends requests back to back for ``duration_s``; throughput is completed
requests over the wall time, p50/p95 the request latencies. ``speedup`` (per workload): Ray's throughput over the
per-request throughput, at the best level whose Ray p95 is within 2x of the per-request p95 at concurrency 1 (a
request served alone), so batching may not buy throughput with latency.
"""

from __future__ import annotations

import logging
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from smartinspect.config import Settings

log = logging.getLogger(__name__)

LEVELS = (1, 2, 4, 8)
MODES = ("per_request", "in_process_concurrent", "ray_batched")
SCAN_MODEL = "xray-detector"
OCR_MODELS = ("ocr-det", "ocr-cls", "ocr-rec")
P95_BOUND = 2.0  # batched p95 may be at most this multiple of the per-request p95


@dataclass(frozen=True)
class Workload:
    name: str
    request: Callable[[int], Any]  # the i-th request (inputs are cycled)


def measure(request: Callable[[int], Any], *, concurrency: int, duration_s: float,
            serial: threading.Lock | None = None) -> dict[str, Any]:
    """``concurrency`` clients send requests back to back for ``duration_s``; ``serial``: one at a time."""
    latencies: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()
    start, cpu_start = time.perf_counter(), time.process_time()

    def client(offset: int) -> None:
        i = offset
        while time.perf_counter() - start < duration_s:
            t0 = time.perf_counter()
            try:
                if serial is not None:
                    with serial:
                        request(i)
                else:
                    request(i)
            except Exception as exc:  # counted, not fatal: the table reports failures
                with guard:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                i += concurrency
            with guard:
                latencies.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start  # every thread of this process (ONNX Runtime's included)
    ms = sorted(x * 1e3 for x in latencies)
    return {"concurrency": concurrency, "requests": len(ms), "failed": len(errors),
            "throughput_rps": round(len(ms) / wall, 3),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(float(np.percentile(ms, 95)), 1) if ms else None,
            "first_error": errors[0] if errors else None,
            # cores this process kept busy; with the Ray engine the models run in Ray's worker processes, not here
            "process_cpu_cores": round(cpu / wall, 2)}


def batch_ceiling(registry: Any, *, sizes: tuple[int, ...] = (1, 8, 32), seconds: float = 2.0) -> dict[str, Any]:
    """The detector graph alone at several batch sizes (tiles per second): the most that batching tiles across
    requests could add, since one scan already sends its tiles in batches of the manifest's ``batch_size``."""
    loaded = registry.get(SCAN_MODEL)
    shape = [d for d in loaded.spec.inputs[0].concrete_shape()[1:]]
    out: dict[str, Any] = {"per_scan_batch_size": int(loaded.spec.params.get("batch_size", 8))}
    for size in sizes:
        batch = np.random.default_rng(0).uniform(0, 255, (size, *shape)).astype(np.float32)
        loaded.model.run(batch)
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            loaded.model.run(batch)
            runs += 1
        out[f"tiles_per_s_batch_{size}"] = round(runs * size / (time.perf_counter() - start), 1)
    return out


def workloads(registry: Any, settings: Settings, *, n_inputs: int, seed: int) -> list[Workload]:
    """The scan and OCR requests on ``registry``'s models (the same inputs for every engine)."""
    from smartinspect.ocr.bench_pages import make_bench_pages
    from smartinspect.ocr.engine import OcrEngine
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan
    from smartinspect.xray.pipeline import ScanAnalyzer

    rng = np.random.default_rng(seed)
    scans = [generate_scan(rng, XrayGenConfig(), container="20ft" if i % 2 else "40ft", force_empty=False)
             for i in range(n_inputs)]
    pages = [page.image for page in make_bench_pages(n_inputs, seed)]
    analyzer = ScanAnalyzer(registry.get(SCAN_MODEL))
    ocr = OcrEngine.from_settings(registry, settings)
    return [
        Workload("scan", lambda i: analyzer.analyse(scans[i % len(scans)].high, pitch_mm=5.0)),
        Workload("ocr", lambda i: ocr.read_images([pages[i % len(pages)]])),
    ]


def _run_mode(mode: str, loads: list[Workload], *, levels: tuple[int, ...], duration_s: float,
              warmup: int) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {}
    for load in loads:
        for i in range(warmup):
            load.request(i)
        serial = threading.Lock() if mode == "per_request" else None
        rows = []
        for level in levels:
            row = measure(load.request, concurrency=level, duration_s=duration_s, serial=serial)
            log.info("%s %s c=%d: %.2f req/s p50 %s ms p95 %s ms", mode, load.name, level, row["throughput_rps"],
                     row["p50_ms"], row["p95_ms"])
            rows.append(row)
        results[load.name] = rows
    return results


def speedup(per_request: list[dict[str, Any]], batched: list[dict[str, Any]]) -> dict[str, Any]:
    """Batched over per-request throughput at the best level whose batched p95 is within 2x of the per-request
    p95 at concurrency 1. Per-request throughput: its best level (one at a time, it is flat)."""
    alone = next(r for r in per_request if r["concurrency"] == min(x["concurrency"] for x in per_request))
    base_rps = max(r["throughput_rps"] for r in per_request)
    bound_ms = P95_BOUND * alone["p95_ms"]
    within = [r for r in batched if r["p95_ms"] is not None and r["p95_ms"] <= bound_ms and not r["failed"]]
    if not within:
        return {"speedup": None, "p95_bound_ms": round(bound_ms, 1), "per_request_rps": base_rps, "at_level": None}
    best = max(within, key=lambda r: r["throughput_rps"])
    return {"speedup": round(best["throughput_rps"] / base_rps, 2), "at_level": best["concurrency"],
            "batched_rps": best["throughput_rps"], "batched_p95_ms": best["p95_ms"], "per_request_rps": base_rps,
            "per_request_p95_ms_alone": alone["p95_ms"], "p95_bound_ms": round(bound_ms, 1)}


def run_serving_benchmark(settings: Settings, *, levels: tuple[int, ...] = LEVELS, duration_s: float = 8.0,
                          n_inputs: int = 4, seed: int = 24, warmup: int = 2,
                          modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    """Every mode over the scan and OCR workloads at each level; the figures and the speedups."""
    from smartinspect.runtime import ModelRegistry
    from smartinspect.runtime.engine import make_inference_engine

    results: dict[str, Any] = {}
    local = settings.model_copy(update={"inference_engine": "in_process"})
    registry = ModelRegistry.from_settings(local)
    ceiling = batch_ceiling(registry)
    for mode in (m for m in modes if m != "ray_batched"):
        results[mode] = _run_mode(mode, workloads(registry, local, n_inputs=n_inputs, seed=seed), levels=levels,
                                  duration_s=duration_s, warmup=warmup)
    deployments: dict[str, Any] = {}
    if "ray_batched" in modes:
        remote = settings.model_copy(update={"inference_engine": "ray", "ray_models": [SCAN_MODEL, *OCR_MODELS]})
        start = time.perf_counter()
        engine = make_inference_engine(remote)
        ray_registry = ModelRegistry.from_settings(remote, engine=engine)
        ray_start_s = time.perf_counter() - start
        try:
            results["ray_batched"] = _run_mode("ray_batched", workloads(ray_registry, remote, n_inputs=n_inputs,
                                                                        seed=seed),
                                               levels=levels, duration_s=duration_s, warmup=warmup)
            for name in (SCAN_MODEL, *OCR_MODELS):
                info = ray_registry.get(name).model.describe_replica()
                counts = info["counts"]
                deployments[name] = {**settings.ray_deployment_for(name).model_dump(), **counts,
                                     "calls_per_graph_run": round(counts["calls"] / max(counts["graph_runs"], 1), 2),
                                     "batch_axis_dynamic": info["batch_axis_dynamic"]}
        finally:
            engine.close()
        deployments["ray_start_and_deploy_s"] = round(ray_start_s, 1)
    speedups = {}
    if "per_request" in results and "ray_batched" in results:
        speedups = {load: speedup(results["per_request"][load], results["ray_batched"][load])
                    for load in results["per_request"]}
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "settings": {"levels": list(levels), "duration_s": duration_s, "inputs": n_inputs, "seed": seed,
                     "onnx_intra_op_threads": settings.onnx_intra_op_threads, "ocr_workers": settings.ocr_workers,
                     "ocr_intra_op_threads": settings.ocr_intra_op_threads},
        "results": results, "ray_deployments": deployments, "detector_batch_ceiling": ceiling,
        "speedup": {load: s["speedup"] for load, s in speedups.items()}, "speedup_detail": speedups,
    }


def markdown_table(result: dict[str, Any]) -> str:
    """The figures as the table docs/benchmarks.md carries."""
    lines = ["| workload | engine | clients | req/s | p50 ms | p95 ms | failed | cores busy (this process) |",
             "|---|---|---|---|---|---|---|---|"]
    for mode, loads in result["results"].items():
        for load, rows in loads.items():
            for r in rows:
                lines.append(f"| {load} | {mode} | {r['concurrency']} | {r['throughput_rps']} | {r['p50_ms']} | "
                             f"{r['p95_ms']} | {r['failed']} | {r.get('process_cpu_cores', '')} |")
    return "\n".join(lines)
