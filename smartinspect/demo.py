"""The embedded demo: SQLite, local blobs, shipped models, one key per role, and sample scans that went through the
real pipeline, so the demo opens with results: a detected firearm, a scan the site's anomaly model finds unusual,
and the review cases they opened in the expert's queue."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import func, select

from smartinspect.config import Settings
from smartinspect.domain.roles import Role
from smartinspect.storage.apikeys import create_api_key
from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

SCANNER_ID = "demo-portal"
SCANNED_AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    stem: str
    container: str
    empty: bool
    threats: tuple[str, ...]
    seed: int  # each sample's own generator seed: a sample does not change when another is added


# The firearm sample's seed is the first of 20261123 + 1000 k (k = 0, 1, ...) whose pistol the served detector finds
# (k = 18, session 15): it finds 4 of the first 30 (firearm AP50 0.12, docs/xray.md). The demo shows the flow on a
# hit; it is not a claim about the detection rate.
SAMPLES = (
    Sample("40ft-firearm", "40ft", False, ("firearm",), 20279123),
    Sample("40ft-drugs-cigarettes", "40ft", False, ("drugs", "cigarettes"), 20261124),
    Sample("20ft-concealment", "20ft", False, ("concealment",), 20261125),
    Sample("20ft-clean", "20ft", False, (), 20261126),
    Sample("20ft-declared-empty", "20ft", True, (), 20261127),
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
    """Write each sample's high- and low-energy images (seeded: the same files on every machine)."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for sample in SAMPLES:
        path, low_path = folder / f"{sample.stem}.png", folder / f"{sample.stem}-low.png"
        scan = generate_scan(np.random.default_rng(sample.seed), XrayGenConfig(), container=sample.container,
                             force_empty=sample.empty, force_threats=list(sample.threats))
        # written every time (the same bytes for the same seed): a sample whose seed changed replaces its old file
        cv2.imwrite(str(path), scan.high)
        cv2.imwrite(str(low_path), scan.low)
        out.append({"file": str(path), "file_low": str(low_path), "stem": sample.stem,
                    "container_no": scan.manifest["container_no"], "declared_empty": sample.empty})
    return out


def _post_samples(settings: Settings, samples: list[dict]) -> None:
    """Each sample under its own declaration, through the scan service (the code behind POST /v1/scans): stored,
    analysed, handed to clearance, whose rules open a review case for a REVIEW or INSPECT verdict. Idempotent:
    the declarations are replayed and the scans carry Idempotency-Keys."""
    from smartinspect.clearance.declarations import DeclarationCreate
    from smartinspect.clearance.service import create_declaration
    from smartinspect.clearance.synthetic import synthetic_declaration
    from smartinspect.runtime import ModelRegistry
    from smartinspect.storage.blobs import make_blob_store
    from smartinspect.storage.models import ApiKey, ScanStatus
    from smartinspect.xray.pipeline import ScanAnalyzer
    from smartinspect.xray.service import ScanMetadata, analyse_scan, check_upload, store_scan

    registry = ModelRegistry.from_settings(settings)
    analyzer = ScanAnalyzer.from_registry(registry, scanner_id=SCANNER_ID, sites=settings.anomaly_sites)
    blobs = make_blob_store(settings)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        scanner_key = session.scalar(select(ApiKey.id).where(ApiKey.name == f"demo-{Role.scanner.value}"))
        for i, sample in enumerate(samples):
            declaration = synthetic_declaration(np.random.default_rng(i), sequence=900_000 + i, port="2248",
                                                controlled_rate=0.0).model_dump(mode="json")
            declaration["containers"] = [{"number": sample["container_no"], "size_type": "45G1"}]
            declaration["remarks"] = f"demo sample {sample['stem']}"
            number = create_declaration(session, data=DeclarationCreate.model_validate(declaration),
                                        actor="demo").number
            session.commit()
            upload = check_upload(Path(sample["file"]).read_bytes(), Path(sample["file_low"]).read_bytes(), settings)
            metadata = ScanMetadata(scanner_id=SCANNER_ID, container_no=sample["container_no"],
                                    declaration_no=number, scanned_at=SCANNED_AT, pixel_pitch_mm=5.0,
                                    declared_empty=sample["declared_empty"])
            scan, _ = store_scan(session, blobs, upload=upload, metadata=metadata, api_key_id=scanner_key,
                                 idempotency_key=f"demo-{sample['stem']}")
            if scan.status != ScanStatus.analysed:
                analyse_scan(session, blobs, analyzer, scan, upload.pixels, upload.low_pixels)
            sample.update(scan_id=scan.id, declaration_no=number, verdict=scan.verdict,
                          reasons=[r["code"] for r in (scan.result or {}).get("reasons", [])])
    engine.dispose()
    registry.close()


def prepare_demo(settings: Settings, *, analyse: bool = True) -> dict:
    """Idempotent: migrates the database, creates demo keys once, writes sample scans once and (``analyse``) runs
    them through the scan service under demo declarations."""
    from smartinspect.domain.clearance import OPEN_STATUSES
    from smartinspect.storage.models_clearance import Instruction

    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    keys_file = settings.data_dir / "demo-keys.json"
    keys = _demo_keys(settings, keys_file)
    samples = _samples(settings.data_dir / "demo-samples")
    if analyse:
        _post_samples(settings, samples)
    engine = make_engine(settings.database_url)
    with make_session_factory(engine)() as session:
        open_cases = session.scalar(select(func.count()).select_from(Instruction).where(
            Instruction.status.in_([s.value for s in OPEN_STATUSES])))
    engine.dispose()
    base = f"http://{settings.host}:{settings.port}"
    first = samples[0]
    curl = (
        f"curl -s -H 'Authorization: Bearer {keys['scanner']}' -H 'Idempotency-Key: demo-try-1' "
        f"-F image=@{first['file']} -F image_low=@{first['file_low']} -F scanner_id={SCANNER_ID} "
        f"-F container_no={first['container_no']} -F scanned_at=2026-11-23T08:00:00Z {base}/v1/scans"
    )
    return {"url": base, "docs": f"{base}/docs", "review": f"{base}/review/", "keys_file": str(keys_file),
            "samples": samples, "open_review_cases": open_cases, "try": curl, "database": settings.database_url}
