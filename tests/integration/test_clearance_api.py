"""The clearance API end to end: real app, real shipped X-ray model, real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from smartinspect.clearance.engine import random_draw
from smartinspect.clearance.ruleset import default_rules_text
from smartinspect.clearance.synthetic import example_declaration
from smartinspect.storage.models_clearance import AuditEvent, Declaration, Instruction

SEED = "smartinspect-default-1"


@pytest.fixture
def settings(settings, db_url):
    return settings.model_copy(update={"database_url": db_url})


@pytest.fixture
def keys(make_key):
    return {role: {"X-API-Key": make_key(role)} for role in ("officer", "expert", "admin", "scanner", "scientist")}


def clean_number(i: int = 1) -> str:
    while True:
        number = f"2248202610{i:08d}"
        if (random_draw(SEED, "random-physical-inspection", number) >= 0.01
                and random_draw(SEED, "random-post-clearance-audit", number) >= 0.03):
            return number
        i += 1


def count(app, model) -> int:
    with app.state.session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def contraband_scan():
    """A 20 ft scan with a concealed compartment that the shipped detector flags INSPECT (seed checked)."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    scan = generate_scan(np.random.default_rng(10), XrayGenConfig(), container="20ft", force_empty=False,
                         force_threats=["concealment"])
    ok, png = cv2.imencode(".png", scan.high)
    assert ok
    return scan, png.tobytes()


def test_contraband_scan_after_release_issues_a_post_release_inspection(client, keys, contraband_scan):
    scan, png = contraband_scan
    number = clean_number()
    body = {**example_declaration(number), "containers": [{"number": scan.manifest["container_no"]}]}
    created = client.post("/v1/declarations", json=body, headers=keys["officer"])
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["channel"]) == ("released", "green")
    # The scan comes after the 0-second release: the instruction is a post-release control.
    posted = client.post("/v1/scans", headers=keys["scanner"], files={"image": ("scan.png", png, "image/png")},
                         data={"scanner_id": "portal-3", "scanned_at": "2026-11-23T08:00:00Z",
                               "container_no": scan.manifest["container_no"], "declaration_no": number})
    assert posted.status_code == 201, posted.text
    assert posted.json()["verdict"] == "INSPECT"
    decl = client.get(f"/v1/declarations/{number}", headers=keys["officer"]).json()
    assert decl["channel"] == "red"
    assert [f["source"] for f in decl["findings"]] == ["xray"]
    (instruction,) = decl["instructions"]
    assert instruction["kind"] == "physical_inspection" and instruction["source_id"] == posted.json()["id"]
    assert instruction["post_release"] is True
    assert instruction["focus"]["container_no"] == scan.manifest["container_no"]
    assert instruction["focus"]["areas"] and instruction["focus"]["areas"][0]["box"]
    assert instruction["reasons"][0]["rule_id"] == "xray-inspect"
    queue = client.get("/v1/instructions", headers=keys["officer"]).json()["items"]
    assert [i["id"] for i in queue] == [instruction["id"]]
    assert client.get("/v1/instructions", headers=keys["expert"]).json()["items"] == []  # not an image review
    url = f"/v1/instructions/{instruction['id']}"
    assert client.post(f"{url}/claim", headers=keys["expert"]).status_code == 403
    claimed = client.post(f"{url}/claim", headers=keys["officer"])
    assert claimed.status_code == 200 and claimed.json()["status"] == "in_progress"
    done = client.post(f"{url}/complete", headers=keys["officer"],
                       json={"result": "discrepancy", "comment": "false wall behind the pallets"})
    assert done.status_code == 200 and done.json()["result"] == "discrepancy"
    again = client.post(f"{url}/complete", headers=keys["officer"], json={"result": "no_discrepancy"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "instruction_already_completed"
    decl = client.get(f"/v1/declarations/{number}", headers=keys["officer"]).json()
    assert decl["status"] == "released"  # release is a legal act; the discrepancy is recorded on the instruction
    history = client.get(f"{url}/history", headers=keys["officer"]).json()
    assert [e["event_type"] for e in history] == ["instruction.issued", "instruction.claimed",
                                                  "instruction.completed"]


def test_contraband_scan_sends_red_then_a_discrepancy_holds(client, keys, contraband_scan):
    """The issue's end-to-end case: scan with contraband → red → inspection → discrepancy → held."""
    scan, png = contraband_scan
    number = clean_number(500)
    posted = client.post("/v1/scans", headers=keys["scanner"], files={"image": ("scan.png", png, "image/png")},
                         data={"scanner_id": "portal-3", "scanned_at": "2026-11-23T08:00:00Z",
                               "container_no": scan.manifest["container_no"], "declaration_no": number})
    assert posted.json()["verdict"] == "INSPECT"
    created = client.post("/v1/declarations", json=example_declaration(number), headers=keys["officer"]).json()
    assert (created["channel"], created["status"]) == ("red", "assessed")
    (instruction,) = created["instructions"]
    done = client.post(f"/v1/instructions/{instruction['id']}/complete", headers=keys["officer"],
                       json={"result": "discrepancy"})
    assert done.status_code == 200
    decl = client.get(f"/v1/declarations/{number}", headers=keys["officer"]).json()
    assert decl["status"] == "held" and decl["released_at"] is None


def test_clean_declaration_released_in_one_call(app, client, keys):
    number = clean_number()
    response = client.post("/v1/declarations", json=example_declaration(number), headers=keys["officer"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["channel"], body["instructions"]) == ("released", "green", [])
    assert body["clearance_seconds"] == 0.0 and body["items"][0]["hs_code"] == "8471300000"
    retry = client.post("/v1/declarations", json=example_declaration(number), headers=keys["officer"])
    assert retry.status_code == 200 and retry.json()["number"] == number
    other = client.post("/v1/declarations", json={**example_declaration(number), "remarks": "x"},
                        headers=keys["officer"])
    assert other.status_code == 409 and other.json()["error"]["code"] == "declaration_exists"
    listed = client.get("/v1/declarations", params={"status": "released"}, headers=keys["expert"]).json()
    assert [d["number"] for d in listed["items"]] == [number]
    assert count(app, Declaration) == 1


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"items": [{**example_declaration()["items"][0], "hs_code": "12AB"}]}, "hs_code"),
        ({"items": [{**example_declaration()["items"][0], "gross_kg": -3}]}, "gross_kg"),
        ({"currency": "XXQ"}, "currency"),
        ({"consignee": {"name": "x", "code": "91330000MA27U0JB4P"}}, "code"),
    ],
)
def test_bad_input_is_422_and_changes_nothing(app, client, keys, change, where):
    before = count(app, AuditEvent)
    response = client.post("/v1/declarations", json={**example_declaration(clean_number()), **change},
                           headers=keys["officer"])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and where in error["message"]
    assert count(app, Declaration) == 0 and count(app, AuditEvent) == before


def test_batch_intake(app, client, keys):
    numbers = [clean_number(1), clean_number(40), clean_number(80)]
    body = {"declarations": [example_declaration(n) for n in numbers]}
    response = client.post("/v1/declarations/batch", json=body, headers=keys["officer"])
    assert response.status_code == 201, response.text
    assert [(r["number"], r["created"], r["status"]) for r in response.json()["results"]] == [
        (n, True, "released") for n in numbers]
    bad = {"declarations": [example_declaration(clean_number(120)), {**example_declaration(numbers[0]),
                                                                      "remarks": "changed"}]}
    assert client.post("/v1/declarations/batch", json=bad, headers=keys["officer"]).status_code == 409
    assert count(app, Declaration) == 3


def test_rules_admin(app, client, keys):
    active = client.get("/v1/rules/active", headers=keys["admin"])
    assert active.status_code == 200 and active.json()["version"] == 1 and "xray-inspect" in active.json()["source"]
    assert client.get("/v1/rules", headers=keys["officer"]).status_code == 403
    broken = default_rules_text().replace("finding.xray.verdict == INSPECT", "finding.xray.verdict === INSPECT")
    checked = client.post("/v1/rules/validate", content=broken, headers={**keys["admin"],
                                                                          "Content-Type": "application/yaml"})
    assert checked.status_code == 200 and checked.json()["valid"] is False
    (problem,) = checked.json()["errors"]
    assert problem["line"] == 28 and problem["path"] == "rules[0].when"
    refused = client.post("/v1/rules", content=broken, headers=keys["admin"])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_rule_set"
    assert "line 28" in refused.json()["error"]["message"]
    assert client.get("/v1/rules/active", headers=keys["admin"]).json()["version"] == 1
    stricter = default_rules_text().replace('watch_countries: ["KP"]', 'watch_countries: ["KP", "DE"]')
    uploaded = client.post("/v1/rules", content=stricter, headers=keys["admin"])
    assert uploaded.status_code == 201 and uploaded.json()["version"] == 2
    body = client.post("/v1/declarations", json=example_declaration(clean_number()), headers=keys["officer"]).json()
    assert (body["channel"], body["rule_set_version"]) == ("yellow", 2)  # hot reload: used at once
    assert [r["version"] for r in client.get("/v1/rules", headers=keys["admin"]).json()["items"]] == [2, 1]


def test_reports_and_audit_endpoints(app, client, keys):
    client.post("/v1/declarations", json=example_declaration(clean_number()), headers=keys["officer"])
    mix = client.get("/v1/reports/channels", headers=keys["scientist"]).json()
    assert mix["total"] == 1 and mix["by_status"]["released"] == 1
    times = client.get("/v1/reports/clearance-times", headers=keys["officer"]).json()
    assert times["released"] == 1 and times["histogram"][0]["count"] == 1
    assert client.get("/v1/reports/rule-hits", headers=keys["admin"]).status_code == 200
    assert client.get("/v1/reports/channels", headers=keys["expert"]).status_code == 403
    verified = client.get("/v1/audit/verify", headers=keys["admin"]).json()
    assert verified["ok"] is True and verified["events_checked"] == 3
    events = client.get("/v1/audit/events", headers=keys["admin"]).json()
    assert [e["event_type"] for e in events] == ["rules.uploaded", "declaration.created", "declaration.released"]
    assert count(app, Instruction) == 0
