"""The scale-out shape of serving/docker-compose.yml without containers: a real `mlflow server` process with a
PostgreSQL backend store and proxied artefacts; registration and promotion talk to it over HTTP only.

(The compose file stores artefacts in S3/MinIO behind the same proxy; no S3 server is available here.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from lifecycle_support import make_settings, tiny_promotion_config

pytest.importorskip("mlflow", reason="the train extra is not installed")

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "xray-detector"
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def mlflow_server(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy import make_url

    url = make_url(os.environ.get("SMARTINSPECT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"mlflow_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {str(exc).splitlines()[0]}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend, "--artifacts-destination",
         str(tmp_path / "server-artifacts"), "--serve-artifacts", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mlflow server did not start"
                time.sleep(1)
        yield base, tmp_path / "server-artifacts"
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_register_and_promote_through_a_tracking_server(mlflow_server, tmp_path):
    from smartinspect.kinds import KINDS
    from smartinspect.lifecycle.mlflow_registry import open_client, resolve_alias
    from smartinspect.lifecycle.promote import promote
    from smartinspect.lifecycle.runs import finish_training_run
    from smartinspect.xray.kind import XRAY

    if not (SHIPPED / "manifest.json").is_file():
        pytest.skip("the shipped detector is the package registered here")
    base, server_artifacts = mlflow_server
    settings = make_settings(tmp_path / "client").model_copy(update={"mlflow_tracking_uri": base})
    ref = finish_training_run(SHIPPED, settings=settings, kind=XRAY)  # its run is not on this server: imported, then registered
    assert ref.source.startswith("mlflow-artifacts:/") and ref.aliases == ("challenger",)
    result = promote(settings, tiny_promotion_config(tmp_path, tmp_path / "frozen-eval"), kinds=KINDS)
    assert result.promoted
    served = json.loads((settings.models_dir / "xray-detector" / "manifest.json").read_text())
    assert served["registry"]["version"] == ref.version
    assert resolve_alias(open_client(settings), "xray-detector", "champion").version == ref.version
    # artefacts went to the server's store, none to the client's disk
    assert list(server_artifacts.rglob("promotion.md")) and list(server_artifacts.rglob("model.onnx"))
    assert not (settings.data_dir / "mlflow-artifacts").exists()
