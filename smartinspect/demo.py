"""The embedded demo: SQLite, local blobs, shipped models, one key per role and a few sample scans."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from smartinspect.config import Settings
from smartinspect.domain.roles import Role
from smartinspect.storage.apikeys import create_api_key
from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

SAMPLES = (  # (file stem, container, force_empty, threats)
    ("40ft-firearm", "40ft", False, ["firearm"]),
    ("40ft-drugs-cigarettes", "40ft", False, ["drugs", "cigarettes"]),
    ("20ft-clean", "20ft", False, []),
    ("20ft-declared-empty", "20ft", True, []),
)


def _demo_keys(settings: Settings, keys_file: Path) -> dict[str, str]:
    if keys_file.exists():
        return json.loads(keys_file.read_text())
    engine = make_engine(settings.database_url)
    keys = {}
    with make_session_factory(engine)() as session:
        for role in Role:
            _, token = create_api_key(session, name=f"demo-{role.value}", role=role)
            keys[role.value] = token
        session.commit()
    engine.dispose()
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")
    os.chmod(keys_file, 0o600)
    return keys


def _samples(folder: Path) -> list[dict]:
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    rng = np.random.default_rng(20261123)
    for stem, container, empty, threats in SAMPLES:
        path = folder / f"{stem}.png"
        scan = generate_scan(rng, XrayGenConfig(), container=container, force_empty=empty, force_threats=threats)
        if not path.exists():
            cv2.imwrite(str(path), scan.high)
        out.append({"file": str(path), "container_no": scan.manifest["container_no"], "declared_empty": empty})
    return out


def prepare_demo(settings: Settings) -> dict:
    """Idempotent: migrates the database, creates demo keys once, writes sample scans once."""
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    keys_file = settings.data_dir / "demo-keys.json"
    keys = _demo_keys(settings, keys_file)
    samples = _samples(settings.data_dir / "demo-samples")
    base = f"http://{settings.host}:{settings.port}"
    first = samples[0]
    curl = (
        f"curl -s -H 'Authorization: Bearer {keys['scanner']}' -H 'Idempotency-Key: demo-1' "
        f"-F image=@{first['file']} -F scanner_id=demo-portal -F container_no={first['container_no']} "
        f"-F scanned_at=2026-11-23T08:00:00Z {base}/v1/scans"
    )
    return {"url": base, "docs": f"{base}/docs", "keys_file": str(keys_file), "samples": samples,
            "try": curl, "database": settings.database_url}
