"""Schemathesis over every route of the OpenAPI schema, with each role's key and with none: no 5xx.

A deliberate 503 (overloaded, model_unavailable, database_busy, not_ready) is an answer, not a crash; every other
5xx fails. CI runs a few examples per operation (``SMARTINSPECT_FUZZ_EXAMPLES``, default 3) without the coverage
phase; the large run of docs/reliability.md sets ``SMARTINSPECT_FUZZ_COVERAGE=1`` and more examples, and writes a
summary with ``SMARTINSPECT_FUZZ_REPORT=<file>``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from smartinspect.api.app import create_app
from smartinspect.config import Settings
from tests.integration.live_server import live_server

EXAMPLES = int(os.environ.get("SMARTINSPECT_FUZZ_EXAMPLES", "3"))
# The coverage phase (every boundary case the schema defines: thousands of requests) only in the large run.
COVERAGE = os.environ.get("SMARTINSPECT_FUZZ_COVERAGE", "0") == "1"
ROLES = ("scanner", "officer", "expert", "scientist", "admin")
DELIBERATE_503 = {"overloaded", "model_unavailable", "database_busy", "not_ready"}
TALLY: Counter = Counter()
FAILURES: list[str] = []


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory, xray_registry):
    data_dir = tmp_path_factory.mktemp("fuzz") / "var"
    app_settings = Settings(_env_file=None, environment="test", data_dir=data_dir, onnx_warmup=False,
                            database_url=f"sqlite:///{data_dir / 'smartinspect.db'}",
                            models_dir=xray_registry.get("xray-detector").spec.file.parent.parent)
    with live_server(create_app(app_settings, registry=xray_registry)) as server:
        keys = {role: server.make_key(role) for role in ROLES}
        yield server, keys
    report = os.environ.get("SMARTINSPECT_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({"examples_per_operation": EXAMPLES, "coverage_phase": COVERAGE,
                                            "cases": sum(TALLY.values()) // (len(ROLES) + 1),
                                            "requests": sum(TALLY.values()),
                                            "by_status": {str(k): v for k, v in sorted(TALLY.items())},
                                            "failures": FAILURES[:50]}, indent=2))


# The schema of the app as built (no server needed to collect); the calls go to the live server.
schema = schemathesis.openapi.from_dict(
    create_app(Settings(_env_file=None, environment="test")).openapi(),
    config=SchemathesisConfig.from_str(f"[phases.coverage]\nenabled = {'true' if COVERAGE else 'false'}\n"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_5xx_for_any_role(case, fuzz_server):
    server, keys = fuzz_server
    with requests.Session() as http:
        for role in (None, *ROLES):
            headers = {"X-API-Key": keys[role]} if role else {}
            response = case.call(base_url=server.url, session=http, headers=headers, timeout=60)
            TALLY[response.status_code] += 1
            if response.status_code < 500:
                continue
            code = _error_code(response)
            if response.status_code == 503 and code in DELIBERATE_503:
                continue
            FAILURES.append(f"{case.method} {case.formatted_path} as {role}: {response.status_code} {code}")
            pytest.fail(f"{case.method} {case.path} as {role or 'anonymous'} -> {response.status_code}: "
                        f"{response.text[:300]}\nreproduce: {case.as_curl_command(headers=headers)}")


def _error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
