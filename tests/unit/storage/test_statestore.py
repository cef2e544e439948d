"""The state store (named objects outside the database that every replica must see alike): conditional writes
on a local directory and on a real S3 server (SeaweedFS), concurrent updates that all land, and the rule that a
scale-out never generates its shared secrets per data dir."""

from __future__ import annotations

import json
import threading

import pytest
from pydantic import SecretStr

from smartinspect.clearance.audit_anchor import Checkpoint, CheckpointRef, read_checkpoint, write_checkpoint
from smartinspect.review.websession import load_session_secret
from smartinspect.storage.secretfiles import SecretNotConfigured
from smartinspect.storage.statestore import LocalStateStore, make_state_store, update_state

KEY = b"k" * 32


@pytest.fixture(params=["local", "s3"])
def store(request, settings):
    if request.param == "local":
        return make_state_store(settings)
    from tests.s3_server import settings_on

    s3 = settings_on(settings, request.getfixturevalue("s3_server"), f"state-{request.node.name[-12:]}")
    return make_state_store(s3)


def test_conditional_writes(store):
    assert store.read("audit/x.json") is None
    assert store.write("audit/x.json", b"1", expected=None)
    assert not store.write("audit/x.json", b"2", expected=None)  # exists: a create loses
    data, version = store.read("audit/x.json")
    assert data == b"1"
    assert store.write("audit/x.json", b"3", expected=version)
    assert not store.write("audit/x.json", b"4", expected=version)  # stale version: refused
    assert store.read("audit/x.json")[0] == b"3"


def test_concurrent_updates_all_land(store):
    store.write("counter", b"0", expected=None)

    def bump() -> None:
        for _ in range(3):
            update_state(store, "counter", lambda old: str(int(old) + 1).encode(), attempts=50)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("counter")[0] == b"12"


def test_the_checkpoint_only_moves_forward(store):
    ref = CheckpointRef(store, "audit/head-test.json")
    write_checkpoint(ref, KEY, Checkpoint("c1", 5, "h5"))
    write_checkpoint(ref, KEY, Checkpoint("c1", 3, "h3"))  # a slower replica's older head
    write_checkpoint(ref, KEY, Checkpoint("other", 9, "h9"))  # another chain never replaces it
    assert read_checkpoint(ref, KEY) == Checkpoint("c1", 5, "h5")
    write_checkpoint(ref, KEY, Checkpoint("c1", 6, "h6"))
    assert read_checkpoint(ref, KEY) == Checkpoint("c1", 6, "h6")
    assert json.loads(store.read("audit/head-test.json")[0])["signature"]


def test_the_local_store_keeps_to_its_root(tmp_path):
    with pytest.raises(ValueError, match="leaves"):
        LocalStateStore(tmp_path).path("../outside")


def test_a_scale_out_refuses_to_generate_its_secrets(settings):
    from smartinspect.clearance.audit_anchor import load_audit_key

    scaled = settings.model_copy(update={"blob_url": "s3://bucket/prefix"})
    with pytest.raises(SecretNotConfigured, match="SMARTINSPECT_SESSION_SECRET"):
        load_session_secret(scaled)
    with pytest.raises(SecretNotConfigured, match="SMARTINSPECT_AUDIT_KEY"):
        load_audit_key(scaled)
    given = scaled.model_copy(update={"session_secret": SecretStr("s" * 40), "audit_key": SecretStr("a" * 40)})
    assert load_session_secret(given) == b"s" * 40 and load_audit_key(given) == b"a" * 40
    assert not (settings.data_dir / "session_secret").exists() and not (settings.data_dir / "audit_key").exists()
