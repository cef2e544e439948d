"""The application factory. Nothing is created at import time: resources are made in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

import smartinspect
from smartinspect.api.admission import AdmissionMiddleware
from smartinspect.api.early import EarlyRefusalMiddleware
from smartinspect.api.errors import install_error_handlers
from smartinspect.api.logs import RequestIdMiddleware, configure_logging
from smartinspect.api.metrics import Metrics
from smartinspect.api.routers import clearance, documents, health, models, review, scans, wood
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.config import Settings, get_settings
from smartinspect.storage.blobs import make_blob_store
from smartinspect.storage.db import make_engine, make_read_session_factory, make_session_factory, upgrade_database

if TYPE_CHECKING:
    from smartinspect.runtime import ModelRegistry
    from smartinspect.runtime.engine import InferenceEngine

log = logging.getLogger(__name__)

# Every router, explicitly, in the order OpenAPI lists them.
ROUTERS = (
    health.router,
    scans.router,  # X-ray scans
    documents.router,  # document OCR and verification
    wood.router,  # wood screening
    clearance.router,  # declarations, instructions, rules, reports
    review.router,  # remote expert review API and UI
    models.router,  # served models and hot reload
)


def _load_registry(settings: Settings, engine: InferenceEngine, reuse: ModelRegistry | None = None) -> ModelRegistry:
    from smartinspect.runtime import ModelRegistry  # ONNX Runtime loads here, not at import

    return ModelRegistry.from_settings(settings, reuse=reuse, engine=engine)


def _start_reloader(app: FastAPI, settings: Settings, registry: ModelRegistry) -> asyncio.Task | None:
    """Hot reload (runtime/reload.py): it swaps ``app.state.registry``; polls ``models/`` when configured."""
    from smartinspect.runtime.reload import ModelReloader

    engine = app.state.inference_engine
    reloader = ModelReloader(
        registry, load=lambda reuse: _load_registry(settings, engine, reuse),
        publish=lambda new: setattr(app.state, "registry", new), models_dir=settings.models_dir,
        grace_s=settings.model_reload_grace_s,
    )
    app.state.model_reloader = reloader
    if settings.model_reload_poll_s > 0:
        return asyncio.create_task(reloader.poll(settings.model_reload_poll_s))
    return None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    configure_logging(settings.log_level, settings.log_format)
    settings.ensure_dirs()
    blob_store = make_blob_store(settings)
    blob_store.check()  # an unreachable bucket or wrong credentials fail the start, not the first upload
    upgrade_database(settings.database_url)
    injected_registry = app.state.registry
    from smartinspect.runtime.engine import make_inference_engine  # Ray, when chosen, is imported here only

    # off the event loop: the Ray engine starts or joins a cluster and deploys (blocking calls)
    inference_engine = await asyncio.to_thread(make_inference_engine, settings)
    app.state.inference_engine = inference_engine
    registry = (injected_registry if injected_registry is not None
                else await asyncio.to_thread(_load_registry, settings, inference_engine))
    engine = make_engine(settings.database_url)
    app.state.engine = engine
    from smartinspect.clearance.audit_anchor import audit_info

    info = audit_info(settings, settings.database_url)  # the audit chain's key and checkpoint, outside the database
    from smartinspect.review.websession import load_session_secret

    app.state.review_session_secret = load_session_secret(settings)  # a scale-out without one stops here
    app.state.session_factory = make_session_factory(engine, info=info)
    app.state.read_session_factory = make_read_session_factory(engine, info=info)
    app.state.blob_store = blob_store
    app.state.registry = registry
    poller = _start_reloader(app, settings, registry)
    log.info("API started (database: %s, blobs: %r, inference: %s, models ready: %s)",
             engine.url.get_backend_name(), app.state.blob_store, inference_engine.name, registry.ready)
    try:
        yield
    finally:
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        app.state.model_reloader.shutdown()
        app.state.limiter.close()
        engine.dispose()
        served = app.state.registry  # a reload may have replaced the one we started with
        app.state.registry = injected_registry
        if served is not injected_registry:  # the caller owns an injected one
            served.close()
        await asyncio.to_thread(inference_engine.close)


def _use_error_body_for_422(schema: dict[str, Any]) -> None:
    """Describe 422 responses with our error body instead of FastAPI's default (edits ``schema`` in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorPublic" not in components:
        error_schema = ErrorPublic.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorPublic"] = error_schema
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "422" in operation.get("responses", {}):
                operation["responses"]["422"]["content"] = error_body
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _install_openapi(app: FastAPI) -> None:
    build_default = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _use_error_body_for_422(build_default())  # FastAPI caches it in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _authenticate_early(app: FastAPI, token: str) -> Any:
    from smartinspect.storage.apikeys import authenticate_api_key

    with app.state.read_session_factory() as session:
        return authenticate_api_key(session, token=token)


def _upload_roles(app: FastAPI, path: str) -> tuple[str, ...]:
    from smartinspect.api.deps import route_access

    table = getattr(app.state, "upload_roles", None)
    if table is None:
        table = app.state.upload_roles = {a.path: a.roles for a in route_access(app) if "POST" in a.methods}
    return table.get(path, ())


def install_guards(app: FastAPI, settings: Settings) -> None:
    """Admission control and metrics (outermost), then early refusal (key and size before the body)."""
    from smartinspect.runtime.admission import make_limiter

    limiter = make_limiter(settings)  # per process, or shared by the replicas in Redis (admission_url)
    app.state.limiter = limiter
    app.state.metrics = Metrics.create(limiter)
    app.add_middleware(EarlyRefusalMiddleware, settings=settings, authenticate=_authenticate_early,
                       roles=_upload_roles)
    app.add_middleware(AdmissionMiddleware, limiter=limiter, metrics=app.state.metrics,
                       retry_after_s=settings.overload_retry_after_s)
    app.add_middleware(RequestIdMiddleware)  # outermost: every response, refusals included, carries the id


def create_app(settings: Settings | None = None, *, registry: ModelRegistry | None = None) -> FastAPI:
    """Build the API. ``registry`` replaces the model registry the lifespan would load (tests, embedding)."""
    app = FastAPI(
        title="smartinspect",
        version=smartinspect.__version__,
        description="AI-assisted customs inspection: X-ray screening, documents, wood, clearance.",
        lifespan=lifespan,
    )
    app.state.settings = settings if settings is not None else get_settings()
    app.state.registry = registry
    install_error_handlers(app)
    install_guards(app, app.state.settings)
    for router in ROUTERS:
        app.include_router(router)
    _install_openapi(app)
    return app
