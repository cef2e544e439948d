"""Logout ends the session on the server (a replayed cookie is refused); the login form refuses other origins."""

from __future__ import annotations

from smartinspect.review.websession import COOKIE_NAME


def login(client, key: str, next_url: str = ""):
    return client.post("/review/login", data={"api_key": key, "next": next_url}, follow_redirects=False)


def csrf_of(html: str) -> str:
    marker = 'name="csrf-token" content="'
    return html[html.index(marker) + len(marker):].split('"', 1)[0]


def test_a_logged_out_cookie_is_refused_when_replayed(client, make_key):
    expert = make_key("expert")
    login(client, expert)
    cookie = client.cookies.get(COOKIE_NAME)
    token = csrf_of(client.get("/review/queue").text)
    assert client.get("/v1/review/cases").status_code == 200  # the cookie works for the JSON API too
    response = client.post("/review/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, cookie)  # an attacker (or a stale tab) replays the old cookie
    assert client.get("/review/queue", follow_redirects=False).status_code == 303  # back to the login
    assert client.get("/v1/review/cases").status_code == 401
    # a fresh login works again, with a new session
    assert login(client, expert).status_code == 303
    assert client.get("/v1/review/cases").status_code == 200


def test_login_from_another_origin_is_refused(client, make_key):
    key = make_key("expert")
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/form"},
                    {"Sec-Fetch-Site": "cross-site"}):
        response = client.post("/review/login", data={"api_key": key, "next": ""}, headers=headers,
                               follow_redirects=False)
        assert response.status_code == 403, headers
        assert COOKIE_NAME not in response.headers.get("set-cookie", "")
    same = client.post("/review/login", data={"api_key": key, "next": ""}, follow_redirects=False,
                       headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 303 and COOKIE_NAME in same.headers["set-cookie"]
