"""Physics of the generator: Beer-Lambert, material discrimination, walls, threat projection, open beam."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from smartinspect.xray.datagen import XrayGenConfig, generate_scan
from smartinspect.xray.datagen.generate import render_scan
from smartinspect.xray.datagen.materials import INORGANIC, MATERIALS, METAL, ORGANIC, classify_ratio, get_material
from smartinspect.xray.datagen.parts import solid
from smartinspect.xray.datagen.raster import Grid
from smartinspect.xray.datagen.render import Canvas, Exposure, expose
from smartinspect.xray.datagen.scene import sample_scene

IDEAL = Exposure(i0=50_000.0, blur_sigma_px=0.7, dark_noise=8.0, pulse_jitter=0.0, row_gain_jitter=0.0)


@pytest.mark.parametrize(("material", "t_mm"), [("steel", 100.0), ("water", 500.0), ("lead", 20.0)])
def test_slab_obeys_beer_lambert(material, t_mm):
    grid = Grid(width_mm=200.0, height_mm=200.0, pitch_mm=5.0)
    canvas = Canvas(grid)
    canvas.add_parts([solid(material, 50.0, 150.0, 50.0, 150.0, t_mm)])
    counts = expose(canvas.maps.high, IDEAL, None)
    expected = 50_000.0 * np.exp(-get_material(material).mu_high * t_mm / 10.0)
    assert counts[20, 20] == pytest.approx(expected, abs=0.5)  # inside the slab (rows/cols 10..29)
    assert counts[2, 2] == 50_000  # open beam
    # half-covered edge pixels carry half the path: attenuation, not transmission, is averaged
    edge = Canvas(grid)
    edge.add_parts([solid(material, 52.5, 150.0, 50.0, 150.0, t_mm)])
    assert edge.maps.high[20, 10] == pytest.approx(0.5 * canvas.maps.high[20, 20], rel=1e-5)


def test_material_classes_from_energy_ratio():
    expected = {"steel": METAL, "copper": METAL, "lead": METAL, "aluminium": INORGANIC, "glass": INORGANIC,
                "ceramic": INORGANIC, "stone": INORGANIC, "ore": INORGANIC}
    for name, material in MATERIALS.items():
        want = expected.get(name, ORGANIC)
        assert classify_ratio(np.array([material.ratio]))[0] == want, name
    assert get_material("steel").mu_high == pytest.approx(0.03057 * 7.85)  # NIST Fe at 6 MeV x density


def test_unknown_material_lists_valid_names():
    with pytest.raises(KeyError, match="steel"):
        get_material("kryptonite")


def _interior_transmission(scan) -> float:
    x1, y1, x2, y2 = scan.interior_box
    return float(scan.high[y1 + 5 : y2 - 5, x1 + 10 : x2 - 10].mean()) / scan.manifest["i0"]


def test_thicker_steel_walls_transmit_less():
    kw = dict(container="20ft", force_empty=True)
    thin = generate_scan(np.random.default_rng(5), **kw, steel_wall_mm=1.6, noise=False)
    thick = generate_scan(np.random.default_rng(5), **kw, steel_wall_mm=4.0, noise=False)
    t_thin, t_thick = _interior_transmission(thin), _interior_transmission(thick)
    assert t_thick < t_thin
    # two walls, each 2.4 mm thicker; the corrugation adds ~6 % path on average
    mu = get_material("steel").mu_high
    assert -np.log(t_thick / t_thin) == pytest.approx(mu * 2 * 0.24 * 1.066, rel=0.05)
    noisy = generate_scan(np.random.default_rng(5), **kw, steel_wall_mm=4.0)
    assert _interior_transmission(noisy) < t_thin


def test_threats_multiply_transmission():
    config = XrayGenConfig()
    scene = sample_scene(np.random.default_rng(8), config, container="20ft", force_empty=False,
                         force_threats=["firearm"])
    with_threat = render_scan(scene, config, None)
    without = render_scan(dataclasses.replace(scene, threats=[]), config, None)
    own = Canvas(scene.grid)
    own.add_threat(scene.threats[0])
    a_threat = own.maps.high[:, ::-1] if scene.flip else own.maps.high
    assert a_threat.max() > 0.3  # a real gun, not a ghost
    i_with, i_without = with_threat.high.astype(float), without.high.astype(float)
    bright = i_without > 200
    np.testing.assert_allclose(i_with[bright], i_without[bright] * np.exp(-a_threat[bright]), rtol=5e-3, atol=1.0)
    _, x1, y1, x2, y2 = with_threat.boxes[0]
    outside = np.ones(i_with.shape, bool)
    outside[y1:y2, x1:x2] = False
    assert np.array_equal(i_with[outside], i_without[outside])


def test_open_beam_above_and_after_the_truck():
    scan = generate_scan(np.random.default_rng(2), container="40ft")
    i0 = scan.manifest["i0"]
    top = scan.high[:40].astype(float)
    assert top.mean() == pytest.approx(i0, rel=0.01)
    assert scan.low is not None and scan.low[:40].mean() == pytest.approx(scan.manifest["i0_low"], rel=0.01)
    # Poisson: relative noise ~ 1/sqrt(I0), reduced by the detector blur
    assert 0.05 / np.sqrt(i0) < top.std() / i0 < 1.5 / np.sqrt(i0)
    ends = max(scan.high[:, :40].mean(), scan.high[:, -40:].mean())  # the end behind the trailer is air
    assert ends == pytest.approx(i0, rel=0.01)
