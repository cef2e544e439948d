"""Prometheus metrics of one app (its own registry, so several apps in one process never clash): request
latency per route, requests in flight per admission class, refusals (503), inference time per model, and the
depth of the worker thread pool that blocking work queues on. Served at ``/metrics`` (public, like /healthz)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from smartinspect.runtime.admission import AdmissionLimiter, RequestClass

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class Metrics:
    registry: CollectorRegistry
    latency: Histogram
    responses: Counter
    refused: Counter
    inference: Histogram

    @classmethod
    def create(cls, limiter: AdmissionLimiter) -> Metrics:
        registry = CollectorRegistry()
        metrics = cls(
            registry=registry,
            latency=Histogram("smartinspect_request_seconds", "Request latency, by route template and method",
                              ["method", "route"], buckets=_LATENCY_BUCKETS, registry=registry),
            responses=Counter("smartinspect_responses", "Responses, by route template and status code",
                              ["method", "route", "status"], registry=registry),
            refused=Counter("smartinspect_admission_refused", "Requests refused with 503 by admission control",
                            ["request_class"], registry=registry),
            inference=Histogram("smartinspect_inference_seconds", "Model inference (analysis) time, by model",
                                ["model"], buckets=_LATENCY_BUCKETS, registry=registry),
        )
        in_flight = Gauge("smartinspect_in_flight", "Requests in flight, by admission class", ["request_class"],
                          registry=registry)
        limit = Gauge("smartinspect_in_flight_limit", "Admission limit, by class", ["request_class"],
                      registry=registry)
        for request_class in RequestClass:
            in_flight.labels(request_class.value).set_function(
                lambda c=request_class: limiter.in_flight(c))
            limit.labels(request_class.value).set(limiter.limits.of(request_class))
        Gauge("smartinspect_threadpool_busy", "Worker threads busy with blocking work (queue depth beyond the pool "
              "size shows as waiting requests)", registry=registry).set_function(_threadpool_busy)
        return metrics

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


@contextmanager
def timed_inference(app: Any, model: Callable[[], str | None]) -> Iterator[None]:
    """Observe the block's duration as inference time of ``model()`` (read after the block: the model that ran)."""
    started = time.perf_counter()
    yield
    metrics = getattr(app.state, "metrics", None)
    if metrics is not None:
        metrics.inference.labels(model() or "unknown").observe(time.perf_counter() - started)


def _threadpool_busy() -> float:
    try:
        import anyio.to_thread

        return float(anyio.to_thread.current_default_thread_limiter().borrowed_tokens)
    except Exception:  # outside an event loop (scraped from a thread)
        return 0.0
