"""80 concurrent scan posts against a real server with the real model: every response is 201, or 503 with
Retry-After at once; none takes longer than 35 s; /healthz answers in under 1 s throughout."""

from __future__ import annotations

import threading
import time

import cv2
import httpx
import pytest

from smartinspect.api.app import create_app
from tests.integration.live_server import live_server

CLIENTS = 80


@pytest.fixture
def scan_png(sample_scans) -> bytes:
    ok, buffer = cv2.imencode(".png", sample_scans["clean"].high)
    assert ok
    return buffer.tobytes()


def test_80_concurrent_scan_posts(settings, xray_registry, scan_png):
    app = create_app(settings.model_copy(update={"max_inflight_inference": 2}), registry=xray_registry)
    results: list[tuple[int, float, str | None]] = []
    health: list[float] = []
    with live_server(app) as server:
        key = server.make_key("scanner")
        start = threading.Barrier(CLIENTS + 1)
        done = threading.Event()

        def post() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                start.wait()
                began = time.monotonic()
                response = http.post(
                    "/v1/scans", headers={"X-API-Key": key}, files={"image": ("scan.png", scan_png, "image/png")},
                    data={"scanner_id": "gate-1", "container_no": "MSCU1234566",
                          "scanned_at": "2026-12-06T08:00:00Z"})
                results.append((response.status_code, time.monotonic() - began, response.headers.get("retry-after")))

        def probe() -> None:
            with httpx.Client(base_url=server.url, timeout=10) as http:
                while not done.is_set():
                    began = time.monotonic()
                    assert http.get("/healthz").status_code == 200
                    health.append(time.monotonic() - began)
                    time.sleep(0.1)

        threads = [threading.Thread(target=post) for _ in range(CLIENTS)]
        prober = threading.Thread(target=probe)
        for thread in threads:
            thread.start()
        prober.start()
        start.wait()
        for thread in threads:
            thread.join(timeout=60)
        done.set()
        prober.join(timeout=10)
        metrics = httpx.get(f"{server.url}/metrics").text
    assert len(results) == CLIENTS
    statuses = sorted({status for status, _, _ in results})
    assert set(statuses) <= {201, 503}, statuses
    assert any(status == 201 for status, _, _ in results)
    assert all(retry is not None and int(retry) >= 1 for status, _, retry in results if status == 503)
    assert max(elapsed for _, elapsed, _ in results) < 35
    refused = [elapsed for status, elapsed, _ in results if status == 503]
    assert refused and max(refused) < 5  # refused at once, not after waiting (loopback, 80 threads of one process)
    assert health and max(health) < 1.0, max(health)
    assert 'smartinspect_admission_refused_total{request_class="inference"}' in metrics
