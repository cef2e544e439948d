"""Scans and findings on SQLite and PostgreSQL: idempotency, JSON round trips, UTC timestamps, constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from smartinspect.clearance.findings import list_findings, record_finding
from smartinspect.storage.apikeys import create_api_key
from smartinspect.storage.models import ApiKey, ClearanceFinding, Scan, ScanStatus
from smartinspect.storage.scans import IdempotencyKeyReused, add_scan, get_scan, mark_scan_analysed, mark_scan_failed

RESULT: dict[str, Any] = {
    "verdict": "REVIEW",
    "detections": [{"label": "firearm", "score": 0.8125, "box": [10, 20, 110, 220]}],
    "anomaly": {"score": 0.25, "map": None},
    "note": "Zollamt Zürich — 检查",
    "nested": {"empty": [], "flag": True},
}


@pytest.fixture
def api_key(session: Session) -> ApiKey:
    key, _token = create_api_key(session, name="gate", role="scanner")
    session.commit()
    return key


def make_scan(api_key: ApiKey, *, idempotency_key: str | None = "retry-1", request_sha256: str = "a" * 64) -> Scan:
    return Scan(
        scanner_id="gate-3",
        container_no="CSQU3054383",
        declaration_no="DE-2025-000123",
        scanned_at=datetime(2025, 11, 23, 10, 30, tzinfo=UTC),
        pixel_pitch_mm=5.0,
        image_sha256="b" * 64,
        image_format="tiff",
        width=2048,
        height=1024,
        bit_depth=16,
        channels=1,
        api_key_id=api_key.id,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )


def test_add_scan_then_retry_returns_the_stored_scan(session: Session, api_key: ApiKey) -> None:
    scan, created = add_scan(session, scan=make_scan(api_key))
    session.commit()
    assert created and scan.status == ScanStatus.received and len(scan.id) == 32
    again, created_again = add_scan(session, scan=make_scan(api_key))
    assert (again.id, created_again) == (scan.id, False)


def test_reused_idempotency_key_with_another_request_is_refused(session: Session, api_key: ApiKey) -> None:
    scan, _ = add_scan(session, scan=make_scan(api_key))
    session.commit()
    with pytest.raises(IdempotencyKeyReused, match=scan.id) as caught:
        add_scan(session, scan=make_scan(api_key, request_sha256="c" * 64))
    assert caught.value.existing.id == scan.id


def test_unique_constraint_settles_a_race(session: Session, api_key: ApiKey, engine: Any) -> None:
    from smartinspect.storage.db import make_session_factory

    # Another request committed the same key after our look-up: the constraint must catch it.
    with make_session_factory(engine)() as other:
        other.add(make_scan(api_key))
        other.commit()
    session.add(make_scan(api_key))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    # add_scan recovers through its savepoint and returns the winner.
    winner, created = add_scan(session, scan=make_scan(api_key))
    assert not created and winner.idempotency_key == "retry-1"


def test_scans_without_idempotency_key_do_not_collide(session: Session, api_key: ApiKey) -> None:
    first, _ = add_scan(session, scan=make_scan(api_key, idempotency_key=None))
    second, created = add_scan(session, scan=make_scan(api_key, idempotency_key=None))
    session.commit()
    assert created and first.id != second.id


def test_result_json_round_trips(session: Session, api_key: ApiKey, engine: Any) -> None:
    from smartinspect.storage.db import make_session_factory

    scan, _ = add_scan(session, scan=make_scan(api_key))
    mark_scan_analysed(session, scan=scan, verdict="REVIEW", result=RESULT, model_name="det", model_version="3")
    session.commit()
    with make_session_factory(engine)() as fresh:  # read back from the database, not the identity map
        stored = get_scan(fresh, scan_id=scan.id)
        assert stored is not None
        assert stored.result == RESULT
        assert (stored.status, stored.verdict, stored.error) == ("analysed", "REVIEW", None)


def test_failed_scan_keeps_sql_null_result(session: Session, api_key: ApiKey) -> None:
    scan, _ = add_scan(session, scan=make_scan(api_key))
    mark_scan_failed(session, scan=scan, error="decoder: not a TIFF")
    session.commit()
    assert session.query(Scan).filter(Scan.result.is_(None)).count() == 1


def test_timestamps_are_tz_aware_utc(session: Session, api_key: ApiKey, engine: Any) -> None:
    from smartinspect.storage.db import make_session_factory

    scan = make_scan(api_key)
    scan.scanned_at = datetime(2025, 11, 23, 12, 30, tzinfo=timezone(timedelta(hours=2)))  # 10:30 UTC
    add_scan(session, scan=scan)
    session.commit()
    with make_session_factory(engine)() as fresh:
        stored = get_scan(fresh, scan_id=scan.id)
        assert stored is not None
        assert stored.scanned_at == datetime(2025, 11, 23, 10, 30, tzinfo=UTC)
        for value in (stored.scanned_at, stored.created_at):
            assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session: Session, api_key: ApiKey) -> None:
    scan = make_scan(api_key)
    scan.scanned_at = datetime(2025, 11, 23, 10, 30)
    session.add(scan)
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_status_outside_the_lifecycle_is_refused(session: Session, api_key: ApiKey) -> None:
    scan = make_scan(api_key)
    scan.status = "done"
    session.add(scan)
    with pytest.raises(IntegrityError):
        session.flush()


def test_findings_are_one_per_source_item_and_carry_json(session: Session) -> None:
    xray = {"source": "xray", "declaration_no": "D1"}
    first = record_finding(session, **xray, source_id="s1", verdict="REVIEW", payload=RESULT)
    again = record_finding(session, **xray, source_id="s1", verdict="CLEAR", payload={"n": 0})
    record_finding(session, **xray, source_id="s2", verdict="CLEAR", payload={})
    session.commit()
    assert again.id == first.id and again.verdict == "CLEAR"
    assert [f.source_id for f in list_findings(session, declaration_no="D1")] == ["s1", "s2"]
    session.add(ClearanceFinding(source="xray", source_id="s2", verdict="CLEAR", payload={}))
    with pytest.raises(IntegrityError):
        session.flush()


def test_unknown_finding_source_names_the_valid_ones(session: Session) -> None:
    with pytest.raises(ValueError, match="xray, document, wood"):
        record_finding(session, source="radar", source_id="x", verdict="CLEAR", payload={})
