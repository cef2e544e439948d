"""What fuzzing found, pinned: integers wider than 64 bits, absurd age filters, and a decision on a case with no
evidence behind it each get a 4xx, not a 500."""

from __future__ import annotations

import pytest

from smartinspect.clearance.synthetic import example_declaration

HUGE = "99999999999999999999"


@pytest.mark.parametrize("role, path", [
    ("expert", f"/v1/review/cases/{HUGE}"),
    ("expert", f"/v1/review/cases?offset={HUGE}"),
    ("expert", f"/v1/review/cases/1/wood/images/{HUGE}"),
    ("officer", f"/v1/instructions/{HUGE}"),
    ("officer", f"/v1/instructions?offset={HUGE}"),
    ("officer", f"/v1/declarations?offset={HUGE}"),
    ("admin", f"/v1/audit/events?after_id={HUGE}"),
    ("admin", f"/v1/rules/{HUGE}"),
    ("officer", f"/v1/documents/x/pages/{HUGE}.png"),
    ("officer", f"/v1/wood/screenings/x/images/{HUGE}"),
    ("expert", "/v1/review/cases?max_age_h=1e12"),
    ("expert", "/v1/review/cases?min_age_h=1e300"),
])
def test_out_of_range_numbers_are_422(client, make_key, role, path):
    response = client.get(path, headers={"X-API-Key": make_key(role)})
    assert response.status_code == 422, (path, response.status_code, response.text[:200])
    assert response.json()["error"]["code"] == "validation_error"


def test_large_but_valid_ids_are_404(client, make_key):
    big = str(2**63 - 1)
    assert client.get(f"/v1/instructions/{big}", headers={"X-API-Key": make_key("officer")}).status_code == 404


def test_a_decision_on_a_case_with_no_evidence_is_422(client, make_key):
    officer, expert = make_key("officer"), make_key("expert")
    number = "224820261099000001"
    assert client.post("/v1/declarations", json=example_declaration(number),
                       headers={"X-API-Key": officer}).status_code in (200, 201)
    issued = client.post(f"/v1/declarations/{number}/instructions", headers={"X-API-Key": officer},
                         json={"kind": "image_review", "reasons": ["look at it"]})
    assert issued.status_code == 201, issued.text
    case_id = issued.json()["id"]
    response = client.post(f"/v1/review/cases/{case_id}/decision", headers={"X-API-Key": expert},
                           json={"decision": "clear", "comment": "nothing to see"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "no_evidence"
    assert f"/v1/instructions/{case_id}/complete" in response.json()["error"]["message"]
