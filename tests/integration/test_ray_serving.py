"""The API on the Ray engine: ``smartinspect serve --engine ray`` answers a scan post, and a promoted model rolls
out to the replicas under load with no failed request.

The module starts one single-node Ray on loopback (2 CPUs, no dashboard) and stops it at the end; the served model
is the shipped X-ray detector, copied into a temporary models directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartinspect.config import REPO_ROOT, Settings
from tests.integration.conftest import MODELS_DIR
from tests.integration.live_server import live_server
from tests.integration.test_scans_api import META, png_bytes

# Ray needs the machine's cores to start (its raylet gives the dashboard agent 15 s to report its ports):
# these tests ran green on the idle 2-core machine in 55 s (docs/serving-ray.md).

MODEL = "xray-detector"
APP = f"smartinspect-{MODEL}"


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[str]:
    """A local Ray for this module, started the way the engine starts one; yields its address."""
    from smartinspect.runtime.engine import prepare_local_ray

    prepare_local_ray()
    import ray
    from ray import serve

    from smartinspect.runtime.ray_engine import connect_ray

    assert connect_ray(Settings(_env_file=None, ray_num_cpus=2)) == "local"
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        serve.shutdown()
        ray.shutdown()


def _models(root: Path) -> Path:
    shutil.copytree(MODELS_DIR / MODEL, root / "models" / MODEL)
    return root / "models"


def _bump_version(models: Path, version: str) -> None:
    manifest_path = models / MODEL / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = version
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def _scan_form(scan) -> tuple[dict, dict]:
    files = {"image": ("scan.png", png_bytes(scan.high), "image/png")}
    return files, {**META, "container_no": scan.manifest["container_no"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _replica_calls() -> int:
    from ray import serve

    return serve.get_app_handle(APP).describe.remote().result(timeout_s=60)["counts"]["calls"]


def test_serve_engine_ray_answers_a_scan_post(ray_cluster, tmp_path, sample_scans):
    from smartinspect.storage.apikeys import create_api_key
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "SMARTINSPECT_DATA_DIR": str(tmp_path / "var"),
           "SMARTINSPECT_DATABASE_URL": "", "SMARTINSPECT_MODELS_DIR": str(_models(tmp_path)),
           "SMARTINSPECT_ONNX_WARMUP": "false", "SMARTINSPECT_LOG_FORMAT": "text"}
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session, session.begin():
        _, key = create_api_key(session, name="portal", role="scanner")
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "smartinspect.cli", "serve", "--engine", "ray", "--address", ray_cluster,
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else "the server exited"
            try:
                if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve --engine ray did not become ready in 120 s"
            time.sleep(1)
        files, data = _scan_form(sample_scans["firearm"])
        response = httpx.post(f"{url}/v1/scans", files=files, data=data,
                              headers={"Authorization": f"Bearer {key}"}, timeout=120)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "analysed" and body["model"]["name"] == MODEL
        assert body["verdict"] in {"CLEAR", "REVIEW", "INSPECT"}
        assert _replica_calls() > 0  # the detector ran on the Serve replica, not in the API process
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_a_promoted_model_rolls_out_to_the_replicas_with_no_failed_request(ray_cluster, tmp_path, sample_scans):
    from smartinspect.api.app import create_app
    from smartinspect.config import RayDeploymentSettings

    models = _models(tmp_path)
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path / "var", models_dir=models,
                        onnx_warmup=False, inference_engine="ray", ray_address=ray_cluster,
                        ray_deployments={MODEL: RayDeploymentSettings(num_replicas=2, max_batch_size=4)})
    app = create_app(settings)
    with live_server(app, start_timeout_s=180) as live:
        scanner, admin = live.make_key("scanner"), live.make_key("admin")
        files, data = _scan_form(sample_scans["clean"])
        outcomes: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def post_scans() -> None:
            with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {scanner}"}, timeout=120) as c:
                while not stop.is_set():
                    r = c.post("/v1/scans", files=files, data=data)
                    outcomes.append((r.status_code, r.json().get("model", {}).get("version")))

        clients = [threading.Thread(target=post_scans) for _ in range(2)]
        for thread in clients:
            thread.start()
        try:
            while len(outcomes) < 2:
                time.sleep(0.2)
            _bump_version(models, "rolled-1")
            reload = httpx.post(f"{live.url}/v1/models/reload", headers={"X-API-Key": admin}, timeout=180)
            after = len(outcomes)
            while len(outcomes) < after + 2:
                time.sleep(0.2)
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=180)
        assert reload.status_code == 200, reload.text
        assert reload.json()["reload"]["changed"][MODEL]["to"] == "rolled-1"
        assert [code for code, _ in outcomes] == [201] * len(outcomes)  # none failed during the roll
        assert outcomes[-1][1] == "rolled-1"
        from ray import serve

        handle = serve.get_app_handle(APP)
        served = {handle.describe.remote().result(timeout_s=60)["version"] for _ in range(6)}
        assert served == {"rolled-1"}  # every replica took the new package
