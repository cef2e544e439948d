"""Publish a champion into ``models/``: the package files, its manifest with the registry version, an atomic swap.

Serving reads only these exported packages (no MLflow at serving time); a hot reload or polling picks them up.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smartinspect.runtime.registry import MANIFEST_NAME, file_sha256


def served_manifest(models_dir: Path, name: str) -> dict[str, Any] | None:
    path = Path(models_dir) / name / MANIFEST_NAME
    return json.loads(path.read_text()) if path.is_file() else None


def swap_into_place(staging: Path, output: Path) -> None:
    """Replace ``output`` by ``staging`` (same filesystem). Readers see the old or the new package; for the
    instant between the two renames the folder is absent, which a reload treats as "keep the old model"."""
    old = output.parent / f".{output.name}.old-{os.getpid()}"
    shutil.rmtree(old, ignore_errors=True)
    if output.exists():
        output.rename(old)
    staging.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def export_package(src: Path, models_dir: Path, *, registry: dict[str, Any], card_note: str = "") -> Path:
    """Copy a registered package into ``models_dir/<name>`` with ``registry`` (name, version, alias, run id...)
    added to its manifest and ``card_note`` appended to its model card. Idempotent for the same version."""
    manifest = json.loads((src / MANIFEST_NAME).read_text())
    actual = file_sha256(src / manifest["file"])
    if actual != manifest["sha256"]:
        raise ValueError(f"{src}: {manifest['file']} has sha256 {actual}, not the manifest's {manifest['sha256']}")
    output = Path(models_dir) / manifest["name"]
    current = served_manifest(models_dir, manifest["name"])
    # Already exported (a retried promotion) only if the package and the registry entry are both the same: a
    # re-calibrated package keeps its graph (same sha256) but has a new version, and registry version numbers
    # restart with every new MLflow store, so neither alone identifies it.
    served_registry = (current or {}).get("registry", {})
    if current and all(current.get(k) == manifest.get(k) for k in ("version", "sha256")) and \
            all(served_registry.get(k) == registry.get(k) for k in ("version", "run_id")):
        return output
    staging = Path(models_dir) / f".{manifest['name']}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(src, staging)
        manifest["registry"] = {**registry, "exported_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        card = staging / "MODEL_CARD.md"
        if card_note and card.is_file():
            card.write_text(card.read_text().rstrip() + "\n\n" + card_note.strip() + "\n")
        swap_into_place(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return output
