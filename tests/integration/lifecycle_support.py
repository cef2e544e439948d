"""Helpers for the lifecycle integration tests: tiny recipes, settings, a feedback snapshot, a live uvicorn server."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml

from smartinspect.config import REPO_ROOT, Settings

TINY_PROMOTION = REPO_ROOT / "training" / "promote-xray-tiny.yaml"


def make_settings(root: Path, database_url: str | None = None) -> Settings:
    data_dir = root / "var"
    return Settings(_env_file=None, environment="test", data_dir=data_dir, models_dir=root / "models",
                    database_url=database_url or f"sqlite:///{data_dir / 'smartinspect.db'}",
                    mlflow_tracking_uri=f"sqlite:///{data_dir / 'mlflow.db'}", onnx_warmup=False)


@contextlib.contextmanager
def cli_environment(settings: Settings) -> Iterator[None]:
    """Run CLI commands (which read get_settings()) against ``settings``."""
    from smartinspect.config import get_settings

    env = {"SMARTINSPECT_ENVIRONMENT": "test", "SMARTINSPECT_DATA_DIR": str(settings.data_dir),
           "SMARTINSPECT_MODELS_DIR": str(settings.models_dir), "SMARTINSPECT_DATABASE_URL": settings.database_url,
           "SMARTINSPECT_MLFLOW_TRACKING_URI": settings.mlflow_tracking_uri, "SMARTINSPECT_ONNX_WARMUP": "false"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def tiny_recipe(root: Path, data_dir: Path, output: Path) -> Path:
    """training/xray-tiny.yaml with its data in ``data_dir`` (shared between runs) and 4 + 2 scans."""
    raw = yaml.safe_load((REPO_ROOT / "training" / "xray-tiny.yaml").read_text())
    raw["data"].update(train_dir=str(data_dir / "train"), test_dir=str(data_dir / "test"), train_scans=4,
                       test_scans=2)
    raw["output"] = str(output)
    path = root / f"recipe-{output.parent.name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def tiny_promotion_config(root: Path, eval_dir: Path) -> Path:
    raw = yaml.safe_load(TINY_PROMOTION.read_text())
    raw["eval_set"]["dir"] = str(eval_dir)
    path = root / "promote-xray-tiny.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def write_feedback(out: Path):
    """Three reviewed 20 ft scans as the review UI would export them: two confirmed, one cleared."""
    from smartinspect.lifecycle.feedback import XrayFeedbackExample, write_xray_feedback
    from smartinspect.xray.datagen import CLASS_NAMES, XrayGenConfig, generate_scan

    rng = np.random.default_rng(2027)
    examples = []
    for i, threats in enumerate((["concealment"], ["cigarettes", "drugs"], [])):
        scan = generate_scan(rng, XrayGenConfig(), container="20ft", force_empty=False, force_threats=threats)
        boxes = tuple((int(c), (float(x1), float(y1), float(x2), float(y2))) for c, x1, y1, x2, y2 in scan.boxes)
        source = {"scan_id": f"scan-{i}", "case_id": f"case-{i}", "decision": "confirm" if threats else "clear"}
        examples.append(XrayFeedbackExample(f"case-{i}", scan.high, boxes, 5.0, source, scan.low))
    return write_xray_feedback(out, examples, classes=list(CLASS_NAMES))


@contextlib.contextmanager
def live_server(app) -> Iterator[str]:
    """The app under a real uvicorn server on a free port, in a thread; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
