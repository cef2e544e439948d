"""export_package: a retried promotion is a no-op; a new package with the same graph is not."""

from __future__ import annotations

import json

from smartinspect.lifecycle.export import export_package


def served(models_dir):
    return json.loads((models_dir / "double" / "manifest.json").read_text())


def test_a_retried_export_is_a_no_op_but_a_recalibrated_package_with_the_same_graph_replaces_the_old(
        tmp_path, package_writer) -> None:
    models = tmp_path / "models"
    old = package_writer(tmp_path / "old", version="2026.01.01-0000")
    registry = {"name": "double", "version": "1", "alias": "champion", "run_id": "run-a"}
    export_package(old, models, registry=registry, card_note="")
    first = served(models)
    assert first["version"] == "2026.01.01-0000" and first["registry"]["run_id"] == "run-a"
    export_package(old, models, registry={**registry, "promoted_at": "later"}, card_note="")
    assert served(models) == first  # same package, same registry entry: the retry changes nothing
    # Re-calibrated from the same networks: byte-identical graph, new thresholds and version. A fresh MLflow store
    # numbers it version 1 again; only the run tells the registry entries apart.
    new = package_writer(tmp_path / "new", version="2026.01.02-0000")
    assert json.loads((new / "manifest.json").read_text())["sha256"] == first["sha256"]
    export_package(new, models, registry={**registry, "run_id": "run-b"}, card_note="")
    assert served(models)["version"] == "2026.01.02-0000" and served(models)["registry"]["run_id"] == "run-b"
