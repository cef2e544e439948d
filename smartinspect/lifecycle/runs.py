"""The end of every training run: example overlays on the run, then the package registered as ``challenger``.

Called once at the end of each training pipeline (``finish_training_run(package, settings=settings, kind=KIND)``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from smartinspect.config import Settings
from smartinspect.lifecycle.kinds import ModelKind
from smartinspect.lifecycle.mlflow_registry import CHALLENGER, VersionRef, open_client, register_package
from smartinspect.runtime.registry import MANIFEST_NAME

log = logging.getLogger(__name__)


def finish_training_run(package: Path, *, settings: Settings, kind: ModelKind | None) -> VersionRef:
    """Log example predictions with overlays to the package's run (``kind`` draws them; None: no examples) and
    register the package as the challenger."""
    manifest = json.loads((Path(package) / MANIFEST_NAME).read_text())
    run_id = manifest.get("mlflow", {}).get("run_id")
    if kind is not None and manifest["task"] != kind.task:
        raise ValueError(f"{package} is a {manifest['task']!r} package, not a {kind.name} ({kind.task!r}) one")
    if kind is not None and run_id:
        client = open_client(settings)
        try:
            params = dict(client.get_run(run_id).data.params)
            n = kind.log_examples(Path(package), params=params, client=client, run_id=run_id)
            log.info("logged %d example overlays to run %s", n, run_id)
        except Exception as exc:  # a report, not the model: never lose a trained package over it
            log.warning("could not log example overlays to run %s: %s", run_id, exc)
    ref = register_package(settings, package=Path(package), alias=CHALLENGER)
    log.info("registered %s as %s; promote it with `smartinspect promote %s`", ref.label, CHALLENGER,
             kind.name if kind else ref.name)
    return ref
