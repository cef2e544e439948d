"""Adding a taxon to a served reference collection without retraining (issue 25, "Adding taxa"): enroll, promote,
hot reload, screen through the API; then enroll the new taxon with --append-to, promote, reload, and the API names
it. Real MLflow store, real ONNX, the real promotion gate with its non-wood limit, real HTTP app."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from smartinspect.config import REPO_ROOT

pytest.importorskip("efficientnet_lite_pytorch", reason="the train extra is not installed")
pytest.importorskip("mlflow", reason="the train extra is not installed")

# 14 genera the synthetic network never had as classes; the last is added later
TAXA = ("Shorea", "Entandrophragma", "Milicia", "Betula", "Ulmus", "Tilia", "Fagus", "Juglans", "Castanea",
        "Populus", "Prunus", "Liriodendron", "Terminalia", "Triplochiton")
PER_TAXON = 5


def photo(taxon: str, seed: int) -> bytes:
    from smartinspect.wood.datagen import anatomy_of, render_end_grain

    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=256).jpeg


def references(root: Path, taxa: tuple[str, ...]) -> Path:
    for t, taxon in enumerate(taxa):
        (root / taxon).mkdir(parents=True)
        for i in range(PER_TAXON):
            (root / taxon / f"{i}.jpg").write_bytes(photo(taxon, 1000 * (t + 1) + i))
    return root


@pytest.fixture
def registry(settings):
    from smartinspect.runtime import ModelRegistry

    settings.models_dir.mkdir(parents=True, exist_ok=True)
    return ModelRegistry.from_directory(settings.models_dir, warm_up=False)


def _screen(client, key: str, image: bytes) -> dict:
    resp = client.post("/v1/wood/screenings", files=[("images", ("p.jpg", image, "image/jpeg"))],
                       data={"declaration_no": "224820261000000011", "declared_species": "Quercus robur"},
                       headers={"X-API-Key": key})
    assert resp.status_code == 201, resp.text
    return resp.json()


def _reload(client, admin: str) -> dict:
    resp = client.post("/v1/models/reload", headers={"X-API-Key": admin})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_taxon_appended_to_the_served_collection_is_named_after_promote_and_reload(
        settings, client, make_key, tmp_path: Path) -> None:
    from smartinspect.kinds import KINDS
    from smartinspect.lifecycle.promote import promote
    from smartinspect.wood.train.enroll_package import enroll

    gate = yaml.safe_load((REPO_ROOT / "training" / "promote-wood-enrolled.yaml").read_text())
    gate["eval_set"].update(dir=str(tmp_path / "nonwood"), generator={"per_kind": 3})
    (tmp_path / "promote.yaml").write_text(yaml.safe_dump(gate, sort_keys=False))
    candidate = tmp_path / "candidates" / "wood-enrolled"
    served = settings.models_dir / "wood-enrolled"
    officer, admin = make_key("officer"), make_key("admin")
    new_taxon = TAXA[-1]

    enroll(references(tmp_path / "refs", TAXA[:-1]), candidate, settings=settings, register=True)
    first = promote(settings, tmp_path / "promote.yaml", kinds=KINDS)
    assert first.promoted, first.table
    _reload(client, admin)
    before = _screen(client, officer, photo(new_taxon, 99))
    assert before["model"]["name"] == "wood-enrolled"
    assert new_taxon not in {t["genus"] for t in before["images"][0]["top_k"]}  # not enrolled: cannot be named

    enroll(references(tmp_path / "new", (new_taxon,)), candidate, settings=settings, register=True,
           append_to=served)
    second = promote(settings, tmp_path / "promote.yaml", kinds=KINDS)
    assert second.promoted, second.table
    assert "| taxa |" in second.table and "better" in second.table.split("| taxa |")[1].split("\n")[0]
    reloaded = _reload(client, admin)
    assert any(m["name"] == "wood-enrolled" for m in reloaded["models"])
    hits = [_screen(client, officer, photo(new_taxon, 99 + i))["images"][0]["top_k"][0]["genus"] for i in range(3)]
    assert hits.count(new_taxon) >= 2, hits  # new photos of the appended taxon are named first
