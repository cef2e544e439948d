"""Real non-wood photos sent to an enrolled reference collection all abstain: the real X-ray samples in
../shared/data (skips without them) and scikit-image's sample photos (skips without scikit-image)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from smartinspect.config import REPO_ROOT, Settings

pytest.importorskip("efficientnet_lite_pytorch", reason="the train extra is not installed")

SAMPLES = REPO_ROOT.parent / "shared" / "data" / "xray-real-samples" / "images"
SETTINGS = Settings(_env_file=None, environment="test")  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from smartinspect.runtime import load_package
    from smartinspect.wood.datagen import anatomy_of, render_end_grain
    from smartinspect.wood.enrolled import EnrolledClassifier
    from smartinspect.wood.train.enroll_package import enroll

    root = tmp_path_factory.mktemp("enrolled-real")
    for taxon in ("Quercus", "Swietenia", "Pinus"):
        (root / "refs" / taxon).mkdir(parents=True)
        for i in range(3):
            jpeg = render_end_grain(np.random.default_rng(i), anatomy_of(taxon), size=192).jpeg
            (root / "refs" / taxon / f"{i}.jpg").write_bytes(jpeg)
    return EnrolledClassifier(load_package(enroll(root / "refs", root / "pkg", settings=SETTINGS,
                                                  track=False).package))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no real X-ray samples at {SAMPLES}")
def test_real_xray_samples_abstain(classifier) -> None:
    from smartinspect.wood.enrolled import screen_files

    paths = sorted(SAMPLES.glob("*.png"))
    assert paths
    for record in screen_files(classifier, paths, SETTINGS):
        assert record["abstained"] and record["call"] is None, record


def test_scikit_image_photos_abstain(classifier, tmp_path: Path) -> None:
    data = pytest.importorskip("skimage.data", reason="scikit-image is not installed (dev extra)")
    from smartinspect.wood.enrolled import screen_files

    paths = []
    for name in ("brick", "grass", "gravel", "coffee", "astronaut", "camera", "chelsea", "rocket"):
        image = np.asarray(getattr(data, name)())
        rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
        Image.fromarray(rgb.astype(np.uint8)).save(tmp_path / f"{name}.png")
        paths.append(tmp_path / f"{name}.png")
    for record in screen_files(classifier, paths, SETTINGS):
        assert record["abstained"] and record["call"] is None, record
