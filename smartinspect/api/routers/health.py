"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``: models loaded, database reachable)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from smartinspect.api.deps import RegistryDep, public
from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.health import HealthPublic, ReadinessPublic
from smartinspect.storage.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic, **public())
def liveness() -> HealthPublic:
    return HealthPublic()


@router.get(
    "/readyz",
    response_model=ReadinessPublic,
    **public(responses={503: {"model": ErrorPublic, "description": "A check failed; details.checks says which"}}),
)
def readiness(request: Request, registry: RegistryDep) -> ReadinessPublic:
    checks = {"database": ping(request.app.state.engine), "models": bool(registry.ready)}
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise ApiError(503, "not_ready", f"not ready: {', '.join(failed)} check failed", {"checks": checks})
    return ReadinessPublic(checks=checks)
