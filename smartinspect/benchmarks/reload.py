"""``smartinspect bench reload``: hot reload vs the named baseline, a restart, on the shipped model packages.

Both put a new version of one package into service. The restart is measured in-process (app start-up to ready:
database check, every package loaded and warmed up), which flatters it: a real restart also pays interpreter
start and imports. During the restart nothing is served; during the reload a prober keeps calling the API.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from smartinspect.config import Settings


def _bump_version(package: Path, version: str) -> None:
    manifest_path = package / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = version
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def _probe(client, headers: dict[str, str], stop: threading.Event, out: list[tuple[float, int]]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        status = client.get("/v1/models", headers=headers).status_code
        out.append((time.perf_counter() - start, status))


def run_reload_benchmark(*, models_dir: Path, model: str = "xray-detector", rounds: int = 3) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from smartinspect.api.app import create_app
    from smartinspect.storage.apikeys import create_api_key

    with tempfile.TemporaryDirectory(prefix="bench-reload-") as tmp:
        root = Path(tmp)
        shutil.copytree(models_dir, root / "models", ignore=shutil.ignore_patterns("*.pt", ".*"))
        settings = Settings(_env_file=None, environment="test", data_dir=root / "var", models_dir=root / "models")
        restarts, reloads, probes = [], [], []
        for i in range(rounds):
            _bump_version(root / "models" / model, f"bench-restart-{i}")
            start = time.perf_counter()
            with TestClient(create_app(settings)):  # start-up to ready: the window a restart serves nothing
                restarts.append(time.perf_counter() - start)
        app = create_app(settings)
        with TestClient(app) as client:
            with app.state.session_factory() as session, session.begin():
                _, token = create_api_key(session, name="bench", role="admin")
            headers = {"X-API-Key": token}
            for i in range(rounds):
                _bump_version(root / "models" / model, f"bench-reload-{i}")
                stop, during = threading.Event(), []
                prober = threading.Thread(target=_probe, args=(client, headers, stop, during))
                prober.start()
                time.sleep(0.2)
                start = time.perf_counter()
                response = client.post("/v1/models/reload", headers=headers)
                reloads.append(time.perf_counter() - start)
                stop.set()
                prober.join()
                assert response.status_code == 200, response.text
                probes += during
    failed = sum(1 for _, status in probes if status != 200)
    restart_s, reload_s = statistics.median(restarts), statistics.median(reloads)
    return {
        "model": model, "rounds": rounds,
        "restart_to_ready_s_median": round(restart_s, 3), "reload_s_median": round(reload_s, 3),
        "ratio_restart_over_reload": round(restart_s / reload_s, 2),
        "unserved_s_restart": round(restart_s, 3), "unserved_s_reload": 0.0 if not failed else None,
        "requests_during_reloads": len(probes), "failed_during_reloads": failed,
        "probe_latency_ms_median": round(1e3 * statistics.median(t for t, _ in probes), 2) if probes else None,
    }
