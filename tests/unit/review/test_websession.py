"""Review session cookies: signed, expiring, tamper-evident; the secret is configured or generated once."""

from __future__ import annotations

import stat

import pytest
from pydantic import SecretStr

from smartinspect.config import Settings
from smartinspect.review.websession import SECRET_FILE, csrf_matches, issue_session, load_session_secret, read_session

SECRET = b"s" * 32


def test_a_cookie_reads_back_to_its_session() -> None:
    cookie, session = issue_session(SECRET, key_id=7, now=1000)
    assert read_session(SECRET, cookie, max_age_s=60, now=1030) == session
    assert session.key_id == 7 and len(session.csrf_token) >= 24


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c[:-2] + ("AA" if c[-2:] != "AA" else "BB"),  # signature changed
        lambda c: "eyJrIjo5OSwiYyI6IngiLCJ0IjoxMDAwfQ." + c.split(".")[1],  # body swapped (key 99)
        lambda c: c.replace(".", ""),  # no separator
        lambda c: "",
    ],
)
def test_tampered_cookies_are_refused(mutate) -> None:
    cookie, _ = issue_session(SECRET, key_id=7, now=1000)
    assert read_session(SECRET, mutate(cookie), max_age_s=60, now=1001) is None


def test_another_secret_or_an_old_cookie_is_refused() -> None:
    cookie, _ = issue_session(SECRET, key_id=7, now=1000)
    assert read_session(b"t" * 32, cookie, max_age_s=60, now=1001) is None
    assert read_session(SECRET, cookie, max_age_s=60, now=1061) is None


def test_csrf_token_must_match_exactly() -> None:
    _, session = issue_session(SECRET, key_id=1)
    assert csrf_matches(session, session.csrf_token)
    assert not csrf_matches(session, session.csrf_token + "x")
    assert not csrf_matches(session, None)


def test_secret_is_generated_once_and_kept_private(settings: Settings) -> None:
    first = load_session_secret(settings)
    assert load_session_secret(settings) == first and len(first) >= 32
    path = settings.data_dir / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_configured_secret_wins_and_must_be_long(settings: Settings) -> None:
    configured = settings.model_copy(update={"session_secret": SecretStr("x" * 40)})
    assert load_session_secret(configured) == b"x" * 40
    with pytest.raises(ValueError, match="at least 32"):
        Settings(_env_file=None, data_dir=settings.data_dir, session_secret="short")
