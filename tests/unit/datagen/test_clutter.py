"""Clutter and overlap in the X-ray generator: everyday dense objects at any angle, units side by side across
the width, and the independence of the random streams (forcing threats leaves cargo and clutter as they were)."""

import numpy as np
import pytest

from smartinspect.xray.datagen import XrayGenConfig
from smartinspect.xray.datagen.clutter import ITEMS
from smartinspect.xray.datagen.scene import sample_scene


def _scene(seed, config=None, **kw):
    return sample_scene(np.random.default_rng(seed), config or XrayGenConfig(), container="40ft", **kw)


def test_loaded_containers_carry_clutter_at_many_angles_and_empty_ones_none():
    clutter = [u for seed in range(6) for u in _scene(seed, force_empty=False).cargo if u.kind == "clutter"]
    assert len(clutter) >= 10
    assert {u.goods for u in clutter} <= set(ITEMS) and len({u.goods for u in clutter}) >= 4
    angles = np.array([u.extra["angle_deg"] for u in clutter])
    assert np.ptp(angles) > 180  # not axis-aligned blocks
    assert all(u.host is None for u in clutter)  # contraband is never hidden "inside" a wrench
    assert not any(u.kind == "clutter" for u in _scene(1, force_empty=True).cargo)


def test_forcing_threats_leaves_cargo_and_clutter_unchanged():
    plain = _scene(11, force_empty=False, force_threats=[])
    armed = _scene(11, force_empty=False, force_threats=["firearm", "drugs"])
    assert [u.describe() for u in plain.cargo] == [u.describe() for u in armed.cargo]
    assert len(armed.threats) == 2 and not plain.threats


def test_clutter_and_second_lanes_follow_the_config():
    none = XrayGenConfig(clutter_per_unit=0.0, second_lane_fraction=0.0)
    assert not any(u.kind == "clutter" for seed in range(4) for u in _scene(seed, none, force_empty=False).cargo)
    lanes = XrayGenConfig(clutter_per_unit=0.0, second_lane_fraction=1.0)
    overlapping = 0
    for seed in range(6):
        units = _scene(seed, lanes, force_empty=False).cargo
        overlapping += sum(a.box.x0 < b.box.x1 and b.box.x0 < a.box.x1 and a.depth + b.depth <= 2352
                           for i, a in enumerate(units) for b in units[i + 1:])
    assert overlapping > 0


@pytest.mark.parametrize("bad", [{"clutter_per_unit": -1.0}, {"clutter_per_unit": 11.0},
                                 {"second_lane_fraction": 1.5}])
def test_clutter_settings_are_validated(bad):
    with pytest.raises(ValueError):
        XrayGenConfig(**bad)
