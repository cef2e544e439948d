"""An enrolled reference collection through the lifecycle (issue 25): enrolled and registered as the challenger,
judged by its promotion gate. Real MLflow store, real ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from smartinspect.config import REPO_ROOT

pytest.importorskip("efficientnet_lite_pytorch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")

FIRST = {"Quercus": "Quercus", "Swietenia": "Swietenia", "Pinus": "Pinus"}
PER_TAXON = 4


def photo(taxon: str, seed: int) -> bytes:
    from smartinspect.wood.datagen import anatomy_of, render_end_grain

    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=192).jpeg


def write_references(root: Path, taxa: dict[str, str], seed: int) -> Path:
    for folder, taxon in taxa.items():
        (root / folder).mkdir(parents=True)
        for i in range(PER_TAXON):
            (root / folder / f"{i}.jpg").write_bytes(photo(taxon, seed + i))
    return root


def test_enrolled_collection_is_registered_and_gated_and_a_tiny_unsafe_one_stays_out_of_service(
        settings, tmp_path: Path) -> None:
    """Three taxa of four photos: its open-set threshold, calibrated on three very different taxa, is loose, and a
    quarter of the frozen non-wood photos that pass the colour and texture gate get a call. The gate's absolute
    limit refuses it even as a first promotion, and nothing is exported (docs/wood.md, "Promotion")."""
    from smartinspect.kinds import KINDS
    from smartinspect.lifecycle.mlflow_registry import open_client, resolve_alias
    from smartinspect.lifecycle.promote import promote
    from smartinspect.wood.train.enroll_package import enroll

    gate = yaml.safe_load((REPO_ROOT / "training" / "promote-wood-enrolled.yaml").read_text())
    gate["eval_set"].update(dir=str(tmp_path / "nonwood"), generator={"per_kind": 3})
    (tmp_path / "promote.yaml").write_text(yaml.safe_dump(gate, sort_keys=False))
    candidate = tmp_path / "candidates" / "wood-enrolled"

    enroll(write_references(tmp_path / "refs", FIRST, 100), candidate, settings=settings, register=True)
    challenger = resolve_alias(open_client(settings), "wood-enrolled", "challenger")
    assert challenger is not None and challenger.tags["task"] == "wood-enrolled"
    result = promote(settings, tmp_path / "promote.yaml", kinds=KINDS)
    assert not result.promoted and result.decision.failed_metrics == ["nonwood_accepted_rate"]
    assert "breaks the limit (at most 0)" in result.table
    assert "| left_out_abstained | higher | 0.03, >= 0.9 |" in result.table
    assert not (settings.models_dir / "wood-enrolled").exists()
