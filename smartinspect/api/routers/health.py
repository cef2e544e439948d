"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: models loaded, database reachable)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from smartinspect.api.deps import public
from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.health import HealthPublic, ReadinessPublic
from smartinspect.storage.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic, **public())
async def liveness() -> HealthPublic:
    """On the event loop, no thread: it answers even when every worker thread is busy."""
    return HealthPublic()


@router.get(
    "/readyz",
    response_model=ReadinessPublic,
    **public(responses={503: {"model": ErrorPublic, "description": "A check failed; details.checks says which"}}),
)
async def readiness(request: Request) -> ReadinessPublic:
    registry = request.app.state.registry  # no dependency: a sync one would run in the worker pool
    # The ping blocks: it runs on the event loop's own executor, not in the worker pool that inference and
    # uploads queue on, so readiness never waits behind them.
    database_ok = await asyncio.get_running_loop().run_in_executor(None, ping, request.app.state.engine)
    checks = {"database": database_ok, "models": bool(registry.ready)}
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise ApiError(503, "not_ready", f"not ready: {', '.join(failed)} check failed", {"checks": checks})
    return ReadinessPublic(checks=checks)


@router.get("/metrics", response_class=Response, include_in_schema=False, **public())
async def metrics(request: Request) -> Response:
    """Prometheus text format: latency per route, in flight per class, refusals, inference time per model."""
    body, media_type = request.app.state.metrics.render()
    return Response(body, media_type=media_type)
