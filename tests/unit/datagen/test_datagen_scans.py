"""Per-scan behaviour: reproducibility, empty containers, labels, physical sizes, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.domain.containers import verify_container_number
from smartinspect.xray.datagen import CLASS_NAMES, XrayGenConfig, generate_scan


def test_same_seed_same_scan_other_seed_differs():
    a = generate_scan(np.random.default_rng(21), container="20ft")
    b = generate_scan(np.random.default_rng(21), container="20ft")
    c = generate_scan(np.random.default_rng(22), container="20ft")
    assert np.array_equal(a.high, b.high) and np.array_equal(a.low, b.low)
    assert np.array_equal(a.cargo_mask, b.cargo_mask) and a.manifest == b.manifest and a.boxes == b.boxes
    assert a.high.shape != c.high.shape or not np.array_equal(a.high, c.high)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_empty_container_has_no_cargo(seed):
    scan = generate_scan(np.random.default_rng(seed), container="20ft", force_empty=True)
    x1, y1, x2, y2 = scan.interior_box
    assert not scan.cargo_mask.any() and not scan.cargo_mask[y1:y2, x1:x2].any()
    assert scan.boxes == [] and scan.manifest["threats"] == [] and scan.manifest["cargo"] == []
    m = scan.manifest
    assert m["is_empty"] and m["declared_empty"] and m["declared_contents"] == "EMPTY"


def test_loaded_container_has_cargo_inside_interior():
    scan = generate_scan(np.random.default_rng(4), container="20ft", force_empty=False, force_threats=[])
    x1, y1, x2, y2 = scan.interior_box
    assert scan.cargo_mask[y1:y2, x1:x2].any() and not scan.manifest["is_empty"]
    outside = scan.cargo_mask.copy()
    outside[y1:y2, x1:x2] = False
    assert not outside.any()
    assert scan.manifest["declared_contents"] != "EMPTY" and scan.manifest["cargo"]


def test_manifest_basics():
    scan = generate_scan(np.random.default_rng(3), XrayGenConfig(dual_energy=False), container="40ft")
    m = scan.manifest
    assert verify_container_number(m["container_no"]) == m["container_no"]
    assert m["container_type"] == "40ft" and scan.low is None
    assert (m["height"], m["width"]) == scan.high.shape and scan.high.dtype == np.uint16
    assert 50_000 <= m["i0"] <= 60_000 and m["pitch_mm"] == 5.0
    x1, y1, x2, y2 = scan.interior_box
    assert 0 < x1 < x2 < m["width"] and 0 < y1 < y2 < m["height"]
    # 40 ft: ~12 m of interior at 5 mm/px, 2393 mm high
    assert x2 - x1 == pytest.approx(12032 / 5, abs=2) and y2 - y1 == pytest.approx(2393 / 5, abs=2)


@pytest.mark.parametrize("threats", [["drugs"], ["cigarettes"], ["concealment"], ["firearm", "drugs", "cigarettes"]])
def test_forced_threats_are_labelled_inside_the_container(threats):
    scan = generate_scan(np.random.default_rng(6), container="20ft", force_empty=False, force_threats=threats)
    assert sorted(b[0] for b in scan.boxes) == sorted(CLASS_NAMES.index(t) for t in threats)
    ix1, iy1, ix2, iy2 = scan.interior_box
    for _, x1, y1, x2, y2 in scan.boxes:
        assert ix1 - 2 <= x1 < x2 <= ix2 + 2 and iy1 - 2 <= y1 < y2 <= iy2 + 2
        assert scan.cargo_mask[y1:y2, x1:x2].any()
    names = [t["class_name"] for t in scan.manifest["threats"]]
    assert sorted(names) == sorted(threats)


def test_hidden_threat_in_declared_empty_container():
    scan = generate_scan(np.random.default_rng(9), container="20ft", force_empty=True, force_threats=["concealment"])
    m = scan.manifest
    assert m["declared_empty"] and not m["is_empty"] and m["declared_contents"] == "EMPTY"
    assert [b[0] for b in scan.boxes] == [CLASS_NAMES.index("concealment")]


@pytest.mark.parametrize(("pitch", "lo", "hi"), [(5.0, 25, 60), (10.0, 12, 30)])
def test_pistol_box_has_physical_size(pistol_scan, pitch, lo, hi):
    seed, kwargs = pistol_scan
    scan = generate_scan(np.random.default_rng(seed), XrayGenConfig(pitch_mm=pitch), **kwargs)
    (_, x1, y1, x2, y2), = scan.boxes
    assert scan.manifest["threats"][0]["subtype"] == "pistol"
    assert lo <= max(x2 - x1, y2 - y1) <= hi
    assert min(x2 - x1, y2 - y1) >= lo // 3


def test_box_scales_with_pitch(pistol_scan):
    seed, kwargs = pistol_scan
    fine = generate_scan(np.random.default_rng(seed), XrayGenConfig(pitch_mm=5.0), **kwargs).boxes[0]
    coarse = generate_scan(np.random.default_rng(seed), XrayGenConfig(pitch_mm=10.0), **kwargs).boxes[0]
    for a, b in ((fine[3] - fine[1], coarse[3] - coarse[1]), (fine[4] - fine[2], coarse[4] - coarse[2])):
        assert abs(a - 2 * b) <= 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(container="45ft"), "20ft"), (dict(force_threats=["knife"]), "firearm"),
     (dict(steel_wall_mm=0.0), "steel_wall_mm")],
)
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate_scan(np.random.default_rng(0), **kwargs)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [("empty_fraction", 1.5, "empty_fraction"), ("pitch_mm", 0.0, "pitch_mm"), ("i0_range", (60e3, 50e3), "i0"),
     ("threat_weights", (1.0, 1.0), "threat_weights")],
)
def test_bad_config_is_rejected(field, value, match):
    with pytest.raises(ValueError, match=match):
        XrayGenConfig(**{field: value})


def test_recipe_overrides_become_a_config_and_unknown_names_are_refused():
    config = XrayGenConfig.with_overrides({"contraband_fraction": 0.85, "threat_weights": [0.35, 0.35, 0.17, 0.13]})
    assert config.contraband_fraction == 0.85 and config.threat_weights == (0.35, 0.35, 0.17, 0.13)
    assert config.empty_fraction == XrayGenConfig().empty_fraction
    assert XrayGenConfig.with_overrides(None) == XrayGenConfig()
    with pytest.raises(ValueError, match="contraband_fractoin"):
        XrayGenConfig.with_overrides({"contraband_fractoin": 0.9})
    with pytest.raises(ValueError, match="contraband_fraction"):
        XrayGenConfig.with_overrides({"contraband_fraction": 1.5})
