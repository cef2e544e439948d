"""ASGI middleware in front of every route: admission control (503 + Retry-After beyond the bound of a request
class, answered at once, never queued) and request metrics. Health checks and /metrics are never limited, so
they answer while inference is saturated."""

from __future__ import annotations

import time
from typing import Any

from smartinspect.api.errors import error_response
from smartinspect.api.metrics import Metrics
from smartinspect.runtime.admission import AdmissionLimiter, RequestClass

Scope = dict[str, Any]
INFERENCE_ROUTES = frozenset({"/v1/scans", "/v1/documents", "/v1/wood/screenings"})  # POST: runs a model
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def classify(method: str, path: str) -> RequestClass | None:
    """The admission class of a request; None: never limited (health checks, metrics)."""
    if path in UNLIMITED_PATHS:
        return None
    if method in _READ_METHODS:
        return RequestClass.reads
    if method == "POST" and path.rstrip("/") in INFERENCE_ROUTES:
        return RequestClass.inference
    return RequestClass.uploads


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"


class AdmissionMiddleware:
    """Pure ASGI (no body buffering): the slot is held until the response has been sent."""

    def __init__(self, app: Any, *, limiter: AdmissionLimiter, metrics: Metrics, retry_after_s: int) -> None:
        self.app = app
        self.limiter = limiter
        self.metrics = metrics
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_class = classify(scope["method"], scope["path"])
        status = {"code": 500}

        async def send_status(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        if request_class is not None and not self.limiter.try_acquire(request_class):
            self.metrics.refused.labels(request_class.value).inc()
            limit = self.limiter.limits.of(request_class)
            response = error_response(
                503, "overloaded", f"too many {request_class} requests in flight (limit {limit}); retry later",
                {"request_class": request_class.value, "limit": limit},
                headers={"Retry-After": str(self.retry_after_s)})
            await response(scope, receive, send_status)
            self._observe(scope, started, status["code"], f"(refused {request_class.value})")
            return
        try:
            await self.app(scope, receive, send_status)
        finally:
            if request_class is not None:
                self.limiter.release(request_class)
            self._observe(scope, started, status["code"])

    def _observe(self, scope: Scope, started: float, status: int, route: str | None = None) -> None:
        route = route or route_template(scope)
        self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
        self.metrics.responses.labels(scope["method"], route, str(status)).inc()
