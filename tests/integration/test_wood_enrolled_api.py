"""POST /v1/wood/screenings served by an enrolled reference collection (issue 25): same request and response as
with the synthetic network; the model named in the response is the enrolled package; taxa list its classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smartinspect.config import Settings

pytest.importorskip("efficientnet_lite_pytorch", reason="the train extra is not installed")


def photo(taxon: str, seed: int) -> bytes:
    from smartinspect.wood.datagen import anatomy_of, render_end_grain

    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=192).jpeg


@pytest.fixture(scope="module")
def enrolled_models(tmp_path_factory) -> Path:
    from smartinspect.wood.train.enroll_package import enroll

    root = tmp_path_factory.mktemp("enrolled-api")
    for folder, taxon in {"Quercus": "Quercus", "Swietenia": "Swietenia", "Tilia_cordata": "Tilia"}.items():
        (root / "refs" / folder).mkdir(parents=True)
        for i in range(3):
            (root / "refs" / folder / f"{i}.jpg").write_bytes(photo(taxon, 100 + i))
    enroll(root / "refs", root / "models" / "wood-enrolled",
           settings=Settings(_env_file=None, environment="test"), track=False)  # type: ignore[call-arg]
    return root / "models"


@pytest.fixture
def registry(enrolled_models: Path):
    from smartinspect.runtime import ModelRegistry

    return ModelRegistry.from_directory(enrolled_models, warm_up=False)


def test_screening_uses_the_enrolled_package(client, make_key) -> None:
    key = make_key("officer")
    resp = client.post("/v1/wood/screenings", files=[("images", ("a.jpg", photo("Swietenia", 900), "image/jpeg"))],
                       data={"declaration_no": "224820261000000011", "declared_species": "Khaya ivorensis"},
                       headers={"X-API-Key": key})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["model"]["name"] == "wood-enrolled" and body["status"] == "analysed"
    assert body["recommendation"] != "clear"  # Swietenia (Appendix II) is in the top 3 whatever the call
    assert {t["taxon"] for t in body["images"][0]["top_k"]} == {"Quercus", "Swietenia", "Tilia cordata"}
    taxa = client.get("/v1/wood/taxa", headers={"X-API-Key": key}).json()
    tilia = next(g for g in taxa if g["genus"] == "Tilia")
    assert tilia["classes"] == ["Tilia cordata"] and tilia["cites_state"] == "unknown"
