"""Request ids and JSON logs.

Every request gets an id: the client's ``X-Request-ID`` when it is a sane token, else a new one. It is echoed in
the response header, attached to every log record written while the request runs (a context variable, so it
follows into the worker threads that ``run_in_threadpool`` uses), and closes with one access line per request.
``log_format = "json"`` writes one JSON object a line (timestamp, level, logger, message, request id, extras).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access_log = logging.getLogger("smartinspect.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_HANDLER_NAME = "smartinspect"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if getattr(record, "request_id", None):
            body["request_id"] = record.request_id
        body.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """One handler on the root logger (replaced, not added, when called again)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)


class RequestIdMiddleware:
    """Pure ASGI, outermost: sets the request id, echoes it, writes the access line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = sent if _VALID_ID.match(sent) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started, status = time.perf_counter(), {"code": 500}

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            key = getattr(scope.get("state", {}).get("api_key"), "id", None)
            access_log.info("%s %s %s", scope["method"], scope["path"], status["code"], extra={
                "method": scope["method"], "path": scope["path"], "status": status["code"],
                "duration_ms": round((time.perf_counter() - started) * 1000, 1), "api_key_id": key})
            request_id_var.reset(token)
