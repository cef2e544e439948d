"""The case queue and case pages on SQLite and PostgreSQL: filters, sorting, claims, decisions, degraded parts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from smartinspect.config import Settings
from smartinspect.storage.models_clearance import Instruction
from smartinspect.storage.types import utcnow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request, settings: Settings):
    """The app's settings, on a fresh SQLite file or on the session's PostgreSQL database (emptied after)."""
    if request.param == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("postgres_url")
    yield settings.model_copy(update={"database_url": url})
    from smartinspect.storage.db import make_engine
    from smartinspect.storage.models import Base

    engine = make_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def cases(make_case):
    return {"scan": make_case(1, source="xray", port="2248"), "wood": make_case(2, source="wood", port="2233"),
            "document": make_case(3, source="document", port="3104")}


def ids(client, key, **params):
    response = client.get("/v1/review/cases", params=params, headers=key)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


def test_filters_and_sorting(app, client, make_key, cases):
    key = {"X-API-Key": make_key("expert")}
    assert ids(client, key) == [cases["document"], cases["scan"], cases["wood"]]  # priority 1, 2, 3
    assert ids(client, key, type="wood") == [cases["wood"]]
    assert ids(client, key, port="3104") == [cases["document"]]
    assert ids(client, key, max_priority=2) == [cases["document"], cases["scan"]]
    with app.state.session_factory() as session:  # the scan case was issued two days ago
        session.execute(update(Instruction).where(Instruction.id == cases["scan"])
                        .values(created_at=utcnow() - timedelta(days=2)))
        session.commit()
    assert ids(client, key, min_age_h=24) == [cases["scan"]]
    assert sorted(ids(client, key, max_age_h=1)) == sorted([cases["wood"], cases["document"]])
    assert ids(client, key, sort="oldest")[0] == cases["scan"]
    assert ids(client, key, sort="newest")[-1] == cases["scan"]
    body = client.get("/v1/review/cases", params={"sort": "port"}, headers=key).json()
    assert [c["port"] for c in body["items"]] == ["2233", "2248", "3104"] and body["ports"] == ["2233", "2248", "3104"]
    bad = client.get("/v1/review/cases", params={"type": "parcel"}, headers=key)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_claims_show_who_holds_a_case(client, make_key, cases):
    ana, bo = {"X-API-Key": make_key("expert", name="ana")}, {"X-API-Key": make_key("expert", name="bo")}
    claimed = client.post(f"/v1/review/cases/{cases['wood']}/claim", headers=ana).json()
    assert claimed["assignee"] == "ana#1" and claimed["status"] == "in_progress"
    assert ids(client, ana, state="mine") == [cases["wood"]] and ids(client, bo, state="mine") == []
    assert client.post(f"/v1/review/cases/{cases['wood']}/claim", headers=bo).json()["error"]["code"] == (
        "instruction_claimed")
    page = client.get("/review/queue", headers=bo).text
    assert "ana#1" in page
    released = client.post(f"/v1/review/cases/{cases['wood']}/release", headers=ana).json()
    assert released["assignee"] is None and released["status"] == "issued"


def test_wood_decision_labels_with_the_declared_genus_when_cleared(client, make_key, cases):
    key = {"X-API-Key": make_key("expert")}
    detail = client.get(f"/v1/review/cases/{cases['wood']}", headers=key).json()
    assert [t["genus"] for t in detail["wood"]["top"]] == ["Swietenia", "Khaya", "Cedrela"]
    assert detail["wood"]["abstained"] is True and any("Swietenia" in n["title"] for n in detail["wood"]["notes"])
    assert "not in this database" in detail["notes"]["wood"]  # the screening's images
    url = f"/v1/review/cases/{cases['wood']}/decision"
    refused = client.post(url, json={"decision": "confirm", "comment": "cannot tell"}, headers=key)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "genus_required"
    decided = client.post(url, json={"decision": "clear", "comment": "Khaya, as declared"}, headers=key)
    assert decided.status_code == 201, decided.text
    body = decided.json()
    assert body["result"] == "no_discrepancy" and body["label"] is None  # no images here: nothing to learn from
    assert ids(client, key, state="decided") == [cases["wood"]]
    assert ids(client, key, type="wood") == []


def test_case_pages_degrade_when_parts_are_missing(client, make_key, cases):
    key = {"X-API-Key": make_key("expert")}
    scan_case = client.get(f"/v1/review/cases/{cases['scan']}", headers=key).json()
    assert scan_case["scan"] is None and "not in this database" in scan_case["notes"]["scan"]
    assert scan_case["declaration"]["items"][0]["hs_code"] == "8471300000"
    for case_id in cases.values():
        page = client.get(f"/review/cases/{case_id}", headers=key)
        assert page.status_code == 200 and f"Case #{case_id}" in page.text
        assert "Not available" in page.text or "not in this database" in page.text
    missing = client.get("/review/cases/999", headers=key)
    assert missing.status_code == 404 and "no review case 999" in missing.text
