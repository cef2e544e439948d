"""Empty-container verification on generated scans, where the truth is known."""

import numpy as np
import pytest

from smartinspect.xray.datagen import XrayGenConfig, generate_scan
from smartinspect.xray.decode import to_attenuation
from smartinspect.xray.empty import verify_empty_container


@pytest.mark.parametrize("container", ["20ft", "40ft"])
def test_truly_empty_container_shows_no_content(container):
    rng = np.random.default_rng(3)
    for _ in range(3):
        scan = generate_scan(rng, XrayGenConfig(), container=container, force_empty=True, force_threats=[])
        check = verify_empty_container(to_attenuation(scan.high), pitch_mm=5.0, declared_empty=True)
        assert check.container_found and not check.content_seen and not check.mismatch
        x1, y1, x2, y2 = check.interior_box
        gx1, gy1, gx2, gy2 = scan.interior_box
        assert gx1 <= x1 < x2 <= gx2 and gy1 <= y1 < y2 <= gy2 + 2  # found box lies inside the true interior


@pytest.mark.parametrize("threat", ["firearm", "drugs", "concealment"])
def test_declared_empty_with_a_hidden_item_is_a_mismatch(threat):
    rng = np.random.default_rng(5)
    scan = generate_scan(rng, XrayGenConfig(), container="20ft", force_empty=True, force_threats=[threat])
    assert scan.boxes, "the generator placed the threat"
    check = verify_empty_container(to_attenuation(scan.high), pitch_mm=5.0, declared_empty=True)
    assert check.content_seen and check.mismatch


def test_loaded_container_shows_content_and_no_roof_means_no_container():
    rng = np.random.default_rng(8)
    scan = generate_scan(rng, XrayGenConfig(), container="40ft", force_empty=False, force_threats=[])
    check = verify_empty_container(to_attenuation(scan.high), pitch_mm=5.0, declared_empty=False)
    assert check.content_seen and check.content_fraction > 0.01 and not check.mismatch
    baggage = np.full((600, 800), 0.0, np.float32)
    baggage[200:400, 300:500] = 2.0
    assert not verify_empty_container(baggage, pitch_mm=5.0, declared_empty=True).container_found
