"""API keys on SQLite and PostgreSQL: create, authenticate, revoke."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from sqlalchemy.orm import Session

from smartinspect.storage.apikeys import (
    ApiKeyNotFound,
    Role,
    authenticate_api_key,
    create_api_key,
    hash_api_key,
    list_api_keys,
    revoke_api_key,
)


def test_create_returns_the_key_once_and_stores_only_its_hash(session: Session) -> None:
    key, token = create_api_key(session, name="gate 3", role=Role.scanner)
    session.commit()
    assert re.fullmatch(r"si_[0-9a-f]{8}_[0-9a-f]{32}", token)
    assert key.prefix == token.split("_")[1]
    assert key.secret_hash == hash_api_key(token) != token
    assert token not in {key.name, key.role, key.prefix, key.secret_hash}
    assert key.role == "scanner" and key.revoked_at is None
    assert key.created_at.tzinfo is not None and key.created_at.utcoffset() == UTC.utcoffset(None)


def test_authenticate_accepts_the_key_only(session: Session) -> None:
    key, token = create_api_key(session, name="officer desk", role="officer")
    session.commit()
    found = authenticate_api_key(session, token=token)
    assert found is not None and found.id == key.id
    wrong_secret = token[:-1] + ("0" if token[-1] != "0" else "1")
    unknown_prefix = "si_00000000_" + token.split("_")[2]
    for bad in (wrong_secret, unknown_prefix, "", "si_", "Bearer " + token, token.upper(), token + "0"):
        assert authenticate_api_key(session, token=bad) is None, bad


def test_revoked_keys_fail_and_revocation_keeps_its_first_time(session: Session) -> None:
    key, token = create_api_key(session, name="old station", role="scanner")
    session.commit()
    revoked = revoke_api_key(session, key_id=key.id)
    session.commit()
    first = revoked.revoked_at
    assert first is not None and first.tzinfo is not None
    assert authenticate_api_key(session, token=token) is None
    assert revoke_api_key(session, key_id=key.id).revoked_at == first


def test_revoke_unknown_key(session: Session) -> None:
    with pytest.raises(ApiKeyNotFound, match="no API key with id 4242"):
        revoke_api_key(session, key_id=4242)


def test_list_keys(session: Session) -> None:
    for role in Role:
        create_api_key(session, name=f"{role} key", role=role)
    session.commit()
    revoke_api_key(session, key_id=1)
    session.commit()
    assert [k.role for k in list_api_keys(session)] == [r.value for r in Role]
    assert len(list_api_keys(session, include_revoked=False)) == len(Role) - 1


@pytest.mark.parametrize(("name", "role", "match"), [("x", "root", "unknown role 'root'"), (" ", "admin", "name")])
def test_create_refuses_bad_input(session: Session, name: str, role: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        create_api_key(session, name=name, role=role)
