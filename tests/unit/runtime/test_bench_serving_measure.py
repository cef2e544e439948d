"""The serving benchmark's measurement loop: throughput, latency, failures and the cores the process kept busy."""

from __future__ import annotations

import time

from smartinspect.benchmarks.serving import measure


def test_measure_counts_requests_failures_and_cpu():
    def request(i: int) -> None:
        time.sleep(0.01)  # waiting, not computing: the process keeps no core busy
        if i % 5 == 4:
            raise ValueError("bad input")

    row = measure(request, concurrency=2, duration_s=0.3)
    assert row["concurrency"] == 2 and row["requests"] > 10 and row["failed"] >= 1
    assert row["first_error"] == "ValueError: bad input"
    assert row["p50_ms"] >= 10 and row["p95_ms"] >= row["p50_ms"]
    assert 0 <= row["process_cpu_cores"] < 0.5
