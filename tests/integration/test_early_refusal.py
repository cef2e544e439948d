"""Bodies are refused before they are read: no key (401), wrong role (403), too large by Content-Length (413),
too large while streaming (413 as soon as the limit passes). Against a real server, over raw sockets, so the
test sees how much of the body the server took before it answered."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.integration.live_server import live_server

GIB = 1 << 30
MIB = 1 << 20


def post_streaming(url: str, path: str, headers: dict[str, str], total: int, *, chunked: bool = False,
                   send_timeout_s: float = 3.0) -> tuple[int, int, float]:
    """POST a body of ``total`` zero bytes as fast as the server takes it; stop when it answers or stops
    reading. Returns (status, bytes the server accepted, seconds until the status line arrived)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}",
            "Content-Type: multipart/form-data; boundary=xxxxxxxx"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    started = time.monotonic()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    sent, chunk = 0, b"\0" * MIB
    sock.settimeout(send_timeout_s)
    part = (b'--xxxxxxxx\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")  # a well-formed start: one huge file part
    try:
        sock.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
        sent += len(part)
        while sent < total:
            payload = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            sock.sendall(payload)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, TimeoutError, socket.timeout):
        pass  # the server answered and closed, or stopped reading
    sock.settimeout(10)
    reply = b""
    try:
        while b"\r\n" not in reply:
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    except (ConnectionResetError, TimeoutError, socket.timeout):
        pass
    elapsed = time.monotonic() - started
    sock.close()
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0
    return status, sent, elapsed


def files_under(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


@pytest.fixture
def server(app):
    with live_server(app) as server:
        yield server


def test_a_1_gib_body_without_a_key_is_refused_unread(server, settings, monkeypatch, tmp_path):
    before = files_under(settings.data_dir)
    status, accepted, elapsed = post_streaming(server.url, "/v1/scans", {}, GIB)
    assert status == 401
    assert accepted < 64 * MIB  # socket buffers at most: the server never read the body
    assert elapsed < 5
    assert files_under(settings.data_dir) == before  # nothing stored


def test_a_wrong_key_or_role_is_refused_before_the_body(server):
    assert post_streaming(server.url, "/v1/scans", {"X-API-Key": "si_00000000_" + "0" * 32}, GIB)[0] == 401
    officer = server.make_key("officer")
    status, accepted, _ = post_streaming(server.url, "/v1/scans", {"X-API-Key": officer}, GIB)
    assert status == 403 and accepted < 64 * MIB


def test_a_declared_size_over_the_limit_is_refused_at_once(server, settings):
    scanner = server.make_key("scanner")
    status, accepted, elapsed = post_streaming(server.url, "/v1/scans", {"X-API-Key": scanner}, 200 * 1000 * 1000)
    assert status == 413 and accepted < 64 * MIB and elapsed < 5


def test_a_streamed_body_is_cut_off_when_it_passes_the_limit(app, settings):
    app.state.settings = settings  # the limit comes from these settings
    limit_settings = settings.model_copy(update={"max_upload_bytes": 4 * MIB})
    from smartinspect.api.app import create_app

    small = create_app(limit_settings, registry=app.state.registry)
    with live_server(small) as server:
        scanner = server.make_key("scanner")
        status, accepted, elapsed = post_streaming(server.url, "/v1/scans", {"X-API-Key": scanner}, GIB,
                                                   chunked=True)
    assert status == 413
    assert accepted < 2 * 4 * MIB + 64 * MIB  # the limit plus socket buffers, not the gigabyte
    assert elapsed < 10


def test_other_routes_have_a_body_limit_too(server, settings):
    officer = server.make_key("officer")
    status, _, _ = post_streaming(server.url, "/v1/declarations", {"X-API-Key": officer},
                                  settings.max_request_body_bytes + 1)
    assert status == 413
