"""The review web UI's access rules: API-key login, expert-only, signed cookie, CSRF on changes, logout."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from smartinspect.review.websession import COOKIE_NAME
from smartinspect.storage.apikeys import revoke_api_key


def login(client, key: str, next_url: str = ""):
    return client.post("/review/login", data={"api_key": key, "next": next_url}, follow_redirects=False)


def csrf_of(html: str) -> str:
    marker = 'name="csrf-token" content="'
    return html[html.index(marker) + len(marker):].split('"', 1)[0]


def test_pages_send_a_visitor_without_a_session_to_the_login(client):
    response = client.get("/review/queue?type=scan", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/review/login?next=%2Freview%2Fqueue%3Ftype%3Dscan"
    assert "API key" in client.get("/review/login").text


def test_expert_login_sets_a_strict_httponly_cookie_and_opens_the_queue(client, make_key):
    response = login(client, make_key("expert"), "/review/queue?state=all")
    assert response.status_code == 303 and response.headers["location"] == "/review/queue?state=all"
    cookie = SimpleCookie(response.headers["set-cookie"])[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # test environment: plain HTTP; production sets Secure
    page = client.get("/review/queue")
    assert page.status_code == 200 and "Case queue" in page.text and csrf_of(page.text)
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("role", ["officer", "scanner", "scientist", "admin"])
def test_other_roles_get_a_403_page_and_no_session(client, make_key, role):
    response = login(client, make_key(role))
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert f"{role} role cannot open the expert review UI" in response.text
    assert client.get("/review/queue", follow_redirects=False).status_code == 303
    # an API key header of another role on a page: the same 403 page
    page = client.get("/review/queue", headers={"X-API-Key": make_key(role)})
    assert page.status_code == 403 and "expert" in page.text


def test_unknown_key_is_401_and_next_cannot_leave_the_site(client, make_key):
    assert login(client, "si_00000000_" + "0" * 32).status_code == 401
    response = login(client, make_key("expert"), "https://evil.example/phish")
    assert response.headers["location"] == "/review/queue"


def test_changes_by_cookie_need_the_csrf_token(client, make_key, make_case):
    case_id = make_case(1)
    login(client, make_key("expert"))
    token = csrf_of(client.get("/review/queue").text)
    refused = client.post(f"/v1/review/cases/{case_id}/claim")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    wrong = client.post(f"/v1/review/cases/{case_id}/claim", headers={"X-CSRF-Token": token + "x"})
    assert wrong.status_code == 403
    claimed = client.post(f"/v1/review/cases/{case_id}/claim", headers={"X-CSRF-Token": token})
    assert claimed.status_code == 200 and claimed.json()["held_by_me"] is True


def test_tampered_or_revoked_sessions_end(app, client, make_key):
    login(client, make_key("expert"))
    value = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, value[:-3] + "AAA")
    assert client.get("/review/queue", follow_redirects=False).status_code == 303
    client.cookies.set(COOKIE_NAME, value)
    assert client.get("/review/queue").status_code == 200
    with app.state.session_factory() as session, session.begin():
        revoke_api_key(session, key_id=1)
    assert client.get("/review/queue", follow_redirects=False).status_code == 303


def test_logout_needs_the_token_and_clears_the_cookie(client, make_key):
    login(client, make_key("expert"))
    token = csrf_of(client.get("/review/queue").text)
    assert client.post("/review/logout", data={"csrf_token": "nope"}).status_code == 403
    response = client.post("/review/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/review/login"
    assert 'Max-Age=0' in response.headers["set-cookie"] or "expires" in response.headers["set-cookie"].lower()
    client.cookies.clear()
    assert client.get("/review/queue", follow_redirects=False).status_code == 303


def test_static_files_are_served_locally_and_versioned(client):
    page = client.get("/review/login").text
    assert "/review/static/review.css?v=" in page and "http" not in page.split("<body>")[0].replace(
        'href="data:,"', "")
    js = client.get("/review/static/viewer.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "immutable" in js.headers["cache-control"]
    assert client.get("/review/static/../config.py").status_code == 404
    assert client.get("/review/static/nope.js").status_code == 404
