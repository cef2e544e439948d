"""Two API replicas (two real uvicorn servers, each with its own empty data dir) on one PostgreSQL, one Redis and
one S3 bucket (SeaweedFS): what one replica did holds on the other. A review login made on one is valid on the
other (and a logout on the other ends it on the first), an idempotent retry sent to the other returns the first
result, the admission bound counts both, the audit checkpoint is one object in the bucket that both advance,
and neither replica writes anything it needs later into its data dir."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from pydantic import SecretStr

from smartinspect.api.app import create_app
from smartinspect.clearance.audit import check_audit_chain
from smartinspect.clearance.audit_anchor import audit_info, checkpoint_ref, read_checkpoint
from smartinspect.clearance.synthetic import example_declaration
from smartinspect.review.websession import COOKIE_NAME
from smartinspect.storage.db import make_engine, make_session_factory
from tests.conftest import FakeRegistry
from tests.integration.live_server import live_server
from tests.s3_server import settings_on

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_db(_migrated_postgres_url: str) -> Iterator[str]:
    from tests.conftest import _empty_all_tables

    yield _migrated_postgres_url
    _empty_all_tables(_migrated_postgres_url)


@pytest.fixture
def replica_settings(settings, tmp_path, s3_server, postgres_db, redis_url, admission_prefix):
    """Settings of replica ``name``: the shared services and secrets, a data dir of its own."""
    shared = settings_on(settings, s3_server, f"replicas-{uuid.uuid4().hex[:12]}").model_copy(update={
        "database_url": postgres_db, "admission_url": redis_url, "admission_key_prefix": admission_prefix,
        "max_inflight_inference": 1, "audit_key": SecretStr("a" * 40), "session_secret": SecretStr("s" * 40)})

    def of(name: str):
        return shared.model_copy(update={"data_dir": tmp_path / name, "blob_dir": tmp_path / name / "blobs"})

    return of


def _login(http: httpx.Client, key: str) -> str:
    response = http.post("/review/login", data={"api_key": key, "next": ""}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return http.cookies[COOKIE_NAME]


def _csrf(html: str) -> str:
    marker = 'name="csrf-token" content="'
    return html[html.index(marker) + len(marker):].split('"', 1)[0]


def _held_scan_upload(url: str, key: str, release: threading.Event, done: list[int]) -> threading.Thread:
    """A scan post whose body stalls until ``release``: its admission slot is held meanwhile."""

    def body() -> Iterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=\"scanner_id\"\r\n\r\ngate-1\r\n"
        release.wait(30)
        yield b"--b--\r\n"

    def post() -> None:
        response = httpx.post(f"{url}/v1/scans", content=body(), timeout=60,
                              headers={"X-API-Key": key, "Content-Type": "multipart/form-data; boundary=b"})
        done.append(response.status_code)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_two_replicas_share_sessions_idempotency_admission_and_the_audit_checkpoint(
        replica_settings, tmp_path):
    # no model runs: the admission slot is held by a scan whose body stalls, and refused before any model
    with ExitStack() as stack:
        a = stack.enter_context(live_server(create_app(replica_settings("a"), registry=FakeRegistry())))
        b = stack.enter_context(live_server(create_app(replica_settings("b"), registry=FakeRegistry())))
        http_a = stack.enter_context(httpx.Client(base_url=a.url, timeout=60))
        http_b = stack.enter_context(httpx.Client(base_url=b.url, timeout=60))
        scanner, officer, expert = a.make_key("scanner"), a.make_key("officer"), b.make_key("expert")

        # a review session made on A is valid on B; a logout on B ends it on A too
        cookie = _login(http_a, expert)
        http_b.cookies.set(COOKIE_NAME, cookie)
        queue = http_b.get("/review/queue", follow_redirects=False)
        assert queue.status_code == 200, queue.status_code
        assert http_b.get("/v1/review/cases").status_code == 200
        logout = http_b.post("/review/logout", data={"csrf_token": _csrf(queue.text)}, follow_redirects=False)
        assert logout.status_code == 303
        http_a.cookies.set(COOKIE_NAME, cookie)
        assert http_a.get("/v1/review/cases").status_code == 401

        # an idempotent retry on the other replica returns the first result (and writes nothing new)
        declaration = example_declaration()
        first = http_a.post("/v1/declarations", json=declaration, headers={"X-API-Key": officer})
        assert first.status_code == 201, first.text
        retry = http_b.post("/v1/declarations", json=declaration, headers={"X-API-Key": officer})
        assert retry.status_code == 200, retry.text
        assert retry.json() == first.json()
        changed = http_b.post("/v1/declarations", json=declaration | {"package_count": 41},
                              headers={"X-API-Key": officer})
        assert changed.status_code == 409, changed.text

        # the inference bound (1) is global: a slot held on A refuses B at once, and is free again when A is done
        no_image = {"headers": {"X-API-Key": scanner}, "data": {"scanner_id": "gate-1"}}
        release, done = threading.Event(), []
        holder = _held_scan_upload(a.url, scanner, release, done)
        gauge = 'smartinspect_in_flight{request_class="inference"} 1.0'
        deadline = time.monotonic() + 120
        while gauge not in http_b.get("/metrics").text:  # B sees A's slot: the count is global
            assert holder.is_alive() and time.monotonic() < deadline, done
            time.sleep(0.05)
        refused = http_b.post("/v1/scans", **no_image)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "overloaded" and int(refused.headers["Retry-After"]) >= 1
        release.set()
        holder.join(timeout=30)
        assert done and done[0] == 422  # A's request went through (its form lacks the image)
        # A releases its slot when its request has finished on the server, which can be just after its client has
        # read the response: wait for the global count to drop, then B admits again
        free = 'smartinspect_in_flight{request_class="inference"} 0.0'
        deadline = time.monotonic() + 30
        while free not in http_b.get("/metrics").text:
            assert time.monotonic() < deadline, "A's inference slot was never released"
            time.sleep(0.05)
        assert http_b.post("/v1/scans", **no_image).status_code == 422  # admitted again on B

        # both replicas appended audit events; one checkpoint in the bucket, at the chain's end
        settings = replica_settings("verifier")
        engine = make_engine(settings.database_url)
        try:
            with make_session_factory(engine, info=audit_info(settings))() as session:
                report = check_audit_chain(session)
                ref = checkpoint_ref(session)
                checkpoint = read_checkpoint(ref, settings.audit_key.get_secret_value().encode())
        finally:
            engine.dispose()
        assert report.ok, report
        assert checkpoint is not None and checkpoint.last_id == report.events_checked > 0
        assert str(ref).startswith(settings.blob_url + "/state/audit/head-")

    # nothing either replica needs later is in its own data dir
    for name in ("a", "b"):
        left = sorted(p.relative_to(tmp_path / name).as_posix() for p in (tmp_path / name).rglob("*") if p.is_file())
        assert not [p for p in left if not p.startswith("cache/")], left

