"""Shared by the clearance routers: who the caller is, and running a write with clear errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from smartinspect.api.errors import ApiError
from smartinspect.api.schemas.common import ErrorPublic
from smartinspect.clearance.errors import ClearanceError
from smartinspect.clearance.locks import end_read_transaction
from smartinspect.clearance.ruleset import RuleSetInvalid
from smartinspect.storage.models import ApiKey

T = TypeVar("T")
ERRORS = {code: {"model": ErrorPublic} for code in (404, 409, 413, 422, 503)}


def actor_of(key: ApiKey) -> str:
    """How an API key appears in assignee, completed_by and the audit log: ``<name>#<id>``."""
    return f"{key.name}#{key.id}"


def api_error(exc: ClearanceError) -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, exc.details)


def invalid_rules(exc: RuleSetInvalid) -> ApiError:
    errors = [{"line": e.line, "column": e.column, "path": e.path, "message": e.message} for e in exc.errors]
    return ApiError(422, "invalid_rule_set", str(exc), {"errors": errors})


def write(session: Session, work: Callable[[], T]) -> T:
    """Run ``work`` in a fresh write transaction and commit; roll back and answer a clear error otherwise."""
    end_read_transaction(session)  # SQLite: the write lock must come before any read
    try:
        result = work()
        session.commit()
    except ClearanceError as exc:
        session.rollback()
        raise api_error(exc) from exc
    except RuleSetInvalid as exc:
        session.rollback()
        raise invalid_rules(exc) from exc
    except IntegrityError as exc:  # a concurrent request created the same row first: a retry answers it
        session.rollback()
        raise ApiError(409, "concurrent_change", "another request changed the same records; retry") from exc
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc).lower() or "deadlock" in str(exc).lower():
            raise ApiError(503, "database_busy", "the database is busy; retry", headers={"Retry-After": "1"}) from exc
        raise
    return result


def page(items: list[Any], *, limit: int, offset: int) -> int | None:
    """The next offset, or None on the last page (``items`` was fetched with ``limit + 1``)."""
    return offset + limit if len(items) > limit else None
