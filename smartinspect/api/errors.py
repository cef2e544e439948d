"""Every error leaves as JSON: ``{"error": {"code": "...", "message": "...", "details": ...}}``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from smartinspect.storage.blobs import BlobStoreUnavailable

log = logging.getLogger(__name__)

_CODES_BY_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error the API means to return: an HTTP status, a stable code, a message and optional details."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Any = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status_code: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    code = _CODES_BY_STATUS.get(status, f"http_{status}")
    if isinstance(exc.detail, str):
        message, details = exc.detail, None
    else:
        message, details = HTTPStatus(status).phrase, exc.detail
    return error_response(status, code, message, details, getattr(exc, "headers", None))


def _validation_problem(error: dict[str, Any]) -> dict[str, Any]:
    # The submitted value ("input") is left out: it can be a whole upload, or a secret.
    problem = {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
    if ctx := error.get("ctx"):
        problem["ctx"] = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in ctx.items()}
    return problem


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_validation_problem(e) for e in exc.errors()]
    where = ", ".join(".".join(str(p) for p in problem["loc"]) for problem in problems)
    return error_response(422, "validation_error", f"request is not valid: {where}", problems)


async def _blob_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("blob store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(503, "blob_store_unavailable", "the blob store cannot be reached; retry later",
                          headers={"Retry-After": "5"})


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal server error; the details are in the server log")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(BlobStoreUnavailable, _blob_store_unavailable)
    app.add_exception_handler(Exception, _unhandled)
