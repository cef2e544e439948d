"""The one upload pipeline: one conflict error for every kind, and run_analysis's failure handling."""

from __future__ import annotations

import pytest

from smartinspect.api.uploads import conflict_error
from smartinspect.domain.uploads import IdempotencyConflict
from smartinspect.storage.documents import DocumentKeyReused
from smartinspect.storage.scans import IdempotencyKeyReused
from smartinspect.storage.uploads import run_analysis
from smartinspect.wood.service import ScreeningKeyReused


class Row:
    id = "abc123"
    idempotency_key = "k-1"


@pytest.mark.parametrize("error, kind", [(IdempotencyKeyReused, "scan"), (DocumentKeyReused, "document"),
                                         (ScreeningKeyReused, "screening")])
def test_every_kind_raises_the_one_conflict(error, kind):
    exc = error(Row())
    assert isinstance(exc, IdempotencyConflict) and exc.kind == kind and "abc123" in str(exc)
    api = conflict_error(exc)
    assert (api.status_code, api.code, api.details) == (409, "idempotency_key_reused", {f"{kind}_id": "abc123"})


class FakeSession:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def commit(self) -> None:
        self.calls.append("commit")

    def rollback(self) -> None:
        self.calls.append("rollback")


def test_run_analysis_marks_failures_and_lets_passthrough_errors_go():
    session, failed = FakeSession(), []
    assert run_analysis(session, lambda: 7, mark_failed=failed.append) == 7 and session.calls == ["commit"]

    def boom() -> None:
        raise MemoryError("killed")

    session = FakeSession()
    with pytest.raises(MemoryError):
        run_analysis(session, boom, mark_failed=failed.append)
    assert failed == ["MemoryError: killed"] and session.calls == ["rollback", "commit"]

    class NotADocument(Exception):
        pass

    def refused() -> None:
        raise NotADocument()

    session, failed = FakeSession(), []
    with pytest.raises(NotADocument):
        run_analysis(session, refused, mark_failed=failed.append, passthrough=(NotADocument,))
    assert failed == [] and session.calls == []
