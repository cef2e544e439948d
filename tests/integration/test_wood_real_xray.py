"""Real X-ray images (the baggage samples in ../shared/data, pseudo-colour RGB) sent as wood photos: every one
abstains with the shipped model (skips without the samples)."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartinspect.config import REPO_ROOT
from smartinspect.domain.tasks import WOOD_TASK
from smartinspect.runtime import ModelRegistry
from smartinspect.wood.decode import decode_photo
from smartinspect.wood.inferencer import WoodClassifier
from smartinspect.wood.preprocess import analysis_view
from smartinspect.wood.screening import screen_views

SAMPLES = REPO_ROOT.parent / "shared" / "data" / "xray-real-samples" / "images"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no real X-ray samples at {SAMPLES}")


def test_real_xray_images_abstain(xray_registry: ModelRegistry) -> None:
    classifier = WoodClassifier(xray_registry.by_task(WOOD_TASK))
    paths = sorted(Path(SAMPLES).glob("*.png"))
    assert paths
    for path in paths:
        photo = decode_photo(path.read_bytes(), max_pixels=10**8, min_side=128, analysis_side=256)
        result = screen_views(classifier, [analysis_view(photo.rgb)], declared_species="Quercus robur")
        assert result.abstained and result.recommendation.value == "expert_review", (path.name, result.images[0])
