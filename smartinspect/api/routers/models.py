"""``/v1/models``: what is served (name, version, sha256, provider, metrics, registry version) and hot reload."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from smartinspect.api.deps import RegistryDep, secured
from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.api.schemas.models import ModelsPublic, ReloadOutcomePublic, ReloadPublic, ServedModelPublic
from smartinspect.domain.roles import Role
from smartinspect.runtime.reload import ModelReloader

router = APIRouter(prefix="/v1/models", tags=["models"])
# Officers and experts see which model produced their results; scanner stations get it in each scan response.
READERS = (Role.scientist, Role.admin, Role.officer, Role.expert)


def _reloader(request: Request) -> ModelReloader:
    return request.app.state.model_reloader


def _served(registry) -> list[ServedModelPublic]:
    return [ServedModelPublic(**described) for described in registry.describe()]


@router.get("", response_model=ModelsPublic, **secured(*READERS))
def list_models(request: Request, registry: RegistryDep) -> ModelsPublic:
    reloader = _reloader(request)
    last = reloader.last
    return ModelsPublic(
        models=_served(registry), ready=bool(registry.ready), errors=dict(registry.errors),
        generation=reloader.generation, last_reload=ReloadPublic(**last.to_dict()) if last else None,
    )


@router.post(
    "/reload", response_model=ReloadOutcomePublic,
    **secured(Role.admin, responses={409: {"model": ErrorPublic, "description": "A package failed to load; "
                                           "its previous version still serves (details says which)"}}),
)
async def reload_models(request: Request) -> ReloadOutcomePublic:
    """Load the models directory again and swap without dropping requests. A package that fails to load keeps
    its previous version in service and makes this a 409 that names it."""
    reloader = _reloader(request)
    result = await run_in_threadpool(reloader.reload)
    served = _served(reloader.current)
    if result.status == "failed":
        message = f"{len(result.errors)} model package(s) failed to load; the previous versions still serve"
        details = {"reload": result.to_dict(), "models": [m.model_dump(mode="json") for m in served]}
        raise ApiError(409, "reload_failed", message, details)
    return ReloadOutcomePublic(reload=ReloadPublic(**result.to_dict()), models=served)
