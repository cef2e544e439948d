"""Operability: Prometheus metrics, request ids in JSON logs, quiet CLI (no alembic INFO lines)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from smartinspect.api.logs import JsonFormatter, RequestIdFilter, request_id_var
from smartinspect.config import REPO_ROOT


def test_metrics_show_latency_per_route_in_flight_and_limits(client, make_key):
    officer = make_key("officer")
    assert client.get("/v1/declarations", headers={"X-API-Key": officer}).status_code == 200
    text = client.get("/metrics").text
    assert 'smartinspect_request_seconds_bucket{le="0.1",method="GET",route="/v1/declarations"}' in text
    assert 'smartinspect_responses_total{method="GET",route="/v1/declarations",status="200"}' in text
    assert 'smartinspect_in_flight{request_class="inference"} 0.0' in text
    assert 'smartinspect_in_flight_limit{request_class="inference"} 4.0' in text
    assert "smartinspect_threadpool_busy" in text and "smartinspect_inference_seconds" in text


def test_every_response_carries_a_request_id_and_the_access_line_has_it(client, make_key, caplog):
    caplog.set_level(logging.INFO, logger="smartinspect.access")
    echoed = client.get("/healthz", headers={"X-Request-ID": "gate3-0001"})
    assert echoed.headers["x-request-id"] == "gate3-0001"
    fresh = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(fresh.headers["x-request-id"]) == 32  # not echoed: a new one
    refused = client.post("/v1/scans")  # refused early (401): still carries an id
    assert refused.status_code == 401 and refused.headers["x-request-id"]
    access = [r for r in caplog.records if r.name == "smartinspect.access" and r.path == "/healthz"]
    assert access and access[0].status == 200 and access[0].duration_ms >= 0


def test_json_log_lines_carry_the_request_id():
    record = logging.makeLogRecord({"name": "smartinspect.x", "levelname": "INFO", "msg": "stored %s",
                                    "args": ("scan-1",), "scan_id": "scan-1"})
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42" and line["message"] == "stored scan-1" and line["scan_id"] == "scan-1"


def test_ordinary_cli_commands_print_no_alembic_info(tmp_path):
    env = {**os.environ, "SMARTINSPECT_DATA_DIR": str(tmp_path / "var"), "SMARTINSPECT_DATABASE_URL": "",
           "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-m", "smartinspect.cli", "keys", "list"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "alembic" not in result.stderr and "Context impl" not in result.stderr, result.stderr
