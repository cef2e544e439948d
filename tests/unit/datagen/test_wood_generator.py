"""The synthetic end-grain generator: seeded, anatomically sane, and its dataset layout."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from smartinspect.wood.datagen import KNOWN, KNOWN_TAXA, OPEN_SET_TAXA, anatomy_of, render_end_grain
from smartinspect.wood.datagen.dataset import generate_dataset, read_index

SMALL = 192  # px: 4x fewer pixels than the default keeps these tests quick


def render(taxon: str, seed: int, size: int = SMALL, **kwargs):
    return render_end_grain(np.random.default_rng(seed), anatomy_of(taxon), size=size, **kwargs)


def test_same_seed_same_photo_other_seed_other_photo() -> None:
    a, b, c = render("Swietenia", 3), render("Swietenia", 3), render("Swietenia", 4)
    assert a.jpeg == b.jpeg and a.params == b.params
    assert a.jpeg != c.jpeg


def test_photo_is_a_jpeg_of_the_requested_size_with_its_parameters() -> None:
    image = render("Khaya", 1)
    decoded = cv2.imdecode(np.frombuffer(image.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (SMALL, SMALL, 3) and image.rgb.shape == (SMALL, SMALL, 3)
    p = image.params
    assert p["taxon"] == "Khaya" and p["genus"] == "Khaya"
    assert 10.0 <= p["magnification"] <= 14.0
    assert 60 <= p["jpeg_quality"] <= 95
    assert p["field_mm"] == pytest.approx(6.0 * 10.0 / p["magnification"], rel=1e-3)


@pytest.mark.parametrize(("taxon", "ratio"), [("Quercus", 2.0), ("Fraxinus", 1.8), ("Tectona", 1.3), ("Cedrela", 1.3)])
def test_ring_and_semi_ring_porous_earlywood_vessels_are_larger(taxon: str, ratio: float) -> None:
    """Ring-porous: an abrupt drop after the earlywood pore zone; semi-ring-porous: a gradual one."""
    ew, lw = [], []
    for seed in range(4):
        image = render(taxon, seed, size=384, magnification=10.0)
        ew += list(image.vessel_diameters_um[~image.vessel_in_latewood])
        lw += list(image.vessel_diameters_um[image.vessel_in_latewood])
    assert len(ew) > 10 and len(lw) > 10
    assert np.median(ew) > ratio * np.median(lw), (np.median(ew), np.median(lw))


def test_pine_is_a_softwood_without_vessels() -> None:
    for seed in range(3):
        image = render("Pinus", seed)
        assert image.params["porosity"] == "none"
        assert len(image.vessel_diameters_um) == 0
    assert anatomy_of("Pinus").softwood and not anatomy_of("Quercus").softwood


def test_diffuse_porous_vessels_stay_in_their_literature_range() -> None:
    acer = anatomy_of("Acer").vessels
    image = render("Acer", 2, size=384)
    lo, hi = acer.lw_diameter_um
    d = image.vessel_diameters_um
    assert len(d) > 20
    assert lo * 0.7 <= np.median(d) <= hi * 1.3  # per-vessel size jitter of +-20 % around the image mean


def test_every_taxon_renders_and_open_set_genera_are_not_classes() -> None:
    assert len(KNOWN_TAXA) == 16 and len({a.genus for a in KNOWN}) == 14
    assert not set(OPEN_SET_TAXA) & set(KNOWN_TAXA) and len(OPEN_SET_TAXA) >= 3
    for taxon in KNOWN_TAXA + OPEN_SET_TAXA:
        image = render(taxon, 0, size=128)
        assert image.rgb.std() > 5, taxon  # not blank


def test_dataset_layout_splits_and_seed_independence(tmp_path) -> None:
    out = tmp_path / "ds"
    generate_dataset(out, per_taxon=4, seed=5, taxa=["Acer", "Pinus"], splits=(0.5, 0.5, 0.0), open_set_per_taxon=1,
                     ood_per_kind=1, size=128, progress=False)
    rows = read_index(out)
    info = json.loads((out / "dataset.json").read_text())
    assert info["counts"]["train"] == {"Acer": 2, "Pinus": 2} and info["counts"]["val"] == {"Acer": 2, "Pinus": 2}
    assert {r["name"] for r in rows if r["kind"] == "open_set"} == set(OPEN_SET_TAXA)
    assert {r["name"] for r in rows if r["kind"] == "ood"} == {"photo", "xray", "document", "noise"}
    assert all((out / r["file"]).is_file() for r in rows)
    # Photo i of a taxon depends on (seed, taxon, i) only: a smaller dataset of one taxon repeats it byte for byte.
    other = tmp_path / "other"
    generate_dataset(other, per_taxon=2, seed=5, taxa=["Pinus"], splits=(1.0, 0.0, 0.0), size=128, progress=False)
    first = {r["index"]: r for r in read_index(other)}
    for row in rows:
        if row["name"] == "Pinus" and row["index"] in first:
            assert (out / row["file"]).read_bytes() == (other / first[row["index"]]["file"]).read_bytes()


def test_unknown_taxon_is_refused_with_the_valid_names(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown taxa"):
        generate_dataset(tmp_path, per_taxon=1, seed=0, taxa=["Tilia"], progress=False)


def test_photos_record_an_anatomy_descriptor_that_separates_look_alikes() -> None:
    from smartinspect.wood.datagen.anatomy import DESCRIPTOR_KEYS

    maple, birch = render("Acer", 1).params, render("Betula", 1).params
    for p in (maple, birch):
        assert tuple(p["anatomy_descriptor"]) == DESCRIPTOR_KEYS
        assert all(np.isfinite(v) for v in p["anatomy_descriptor"].values())
    a, b = maple["anatomy_descriptor"], birch["anatomy_descriptor"]
    # maple has wide rays and fewer vessels than birch: the features a loupe separates them by
    assert a["log_broad_ray_width"] > 0 and b["log_broad_ray_width"] == 0
    assert a["log_vessel_density"] < b["log_vessel_density"]
    assert a["log_vessel_diameter"] == pytest.approx(np.log1p(maple["vessel_diameter_um"]), abs=1e-3)
    pine = render("Pinus", 1).params["anatomy_descriptor"]
    assert pine["vessels"] == 0 and pine["canals"] == 1 and pine["log_vessel_density"] == 0


def test_outlier_chimeras_carry_their_own_anatomy_and_textures_none() -> None:
    from smartinspect.wood.datagen.anatomy import DESCRIPTOR_KEYS
    from smartinspect.wood.datagen.outliers import render_outlier

    _, chimera = render_outlier(np.random.default_rng(5), "chimera", size=SMALL)
    _, texture = render_outlier(np.random.default_rng(5), "texture", size=SMALL)
    assert chimera["taxon"] == "chimera" and tuple(chimera["anatomy_descriptor"]) == DESCRIPTOR_KEYS
    assert "anatomy_descriptor" not in texture


def test_plain_outliers_are_wood_coloured_and_flatter_than_the_textures() -> None:
    """The plain kind: surfaces with the colours of timber and less band-pass structure than the texture kind."""
    import cv2

    from smartinspect.wood.datagen.outliers import render_outlier
    from smartinspect.wood.gate import view_statistics
    from smartinspect.wood.preprocess import analysis_view

    def stats(kind: str, seed: int) -> dict:
        jpeg, params = render_outlier(np.random.default_rng(seed), kind, size=256)
        assert params["kind"] == kind and "anatomy_descriptor" not in params
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        return view_statistics(analysis_view(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), 256))

    plain = [stats("plain", s) for s in range(12)]
    texture = [stats("texture", s) for s in range(12)]
    assert np.median([p["structure"] for p in plain]) < np.median([t["structure"] for t in texture])
    assert all(-40 < p["hue"] < 70 and p["chroma"] > 0.05 for p in plain)


def test_shift_outliers_move_one_feature_outside_the_base_range_or_remove_it() -> None:
    from smartinspect.wood.datagen.outliers import _has, _span, shift_anatomy

    rng = np.random.default_rng(11)
    bases, changes = set(), set()
    for _ in range(400):
        shifted, (base_taxon, what, feature) = shift_anatomy(rng)
        base = anatomy_of(base_taxon)
        bases.add(base_taxon)
        changes.add(what)
        assert shifted.taxon == shifted.genus == "shift"
        if what == "shift":
            new, old = _span(shifted, feature), _span(base, feature)
            assert new[1] / new[0] == pytest.approx(old[1] / old[0])  # same relative width
            assert new[0] >= old[1] * 1.39 or new[1] <= old[0] / 1.39  # wholly past one end of the base's range
        else:
            assert _has(base, feature) and not _has(shifted, feature)
        # nothing else changed: the colour and the other groups are the base's
        assert shifted.colour_light == base.colour_light and shifted.ring_width_mm == base.ring_width_mm
    assert bases == set(KNOWN_TAXA) and changes == {"shift", "remove"}


def test_a_shift_is_drawn_again_while_a_known_taxon_still_matches_it() -> None:
    from dataclasses import replace

    from smartinspect.wood.datagen.outliers import _like_a_known_taxon

    maple = anatomy_of("Acer")
    # every known taxon matches itself; maple without its broad rays matches no known taxon
    assert _like_a_known_taxon(maple, ("shift", "vessels.density_mm2"))
    no_broad = replace(maple, rays=replace(maple.rays, broad_width_um=None, broad_spacing_mm=None))
    assert not _like_a_known_taxon(no_broad, ("remove", "broad_rays"))


def test_outlier_kinds_are_chosen_per_dataset_and_unknown_kinds_refused(tmp_path) -> None:
    out = tmp_path / "ds"
    generate_dataset(out, per_taxon=0, seed=0, outliers_per_kind=2, size=128, progress=False)
    assert {r["name"] for r in read_index(out)} == {"chimera", "swap", "texture"}  # the default kinds, as before
    shifted = tmp_path / "shifted"
    generate_dataset(shifted, per_taxon=0, seed=0, outliers_per_kind=2, size=128, progress=False,
                     outlier_kinds=("chimera", "shift"))
    rows = read_index(shifted)
    assert {r["name"] for r in rows} == {"chimera", "shift"}
    assert json.loads((shifted / "dataset.json").read_text())["outlier_kinds"] == ["chimera", "shift"]
    assert all(len(r["params"]["donors"]) == 3 and "anatomy_descriptor" in r["params"] for r in rows)
    # adding a kind does not change the photos of the others
    chimera = {r["index"]: r["file"] for r in read_index(out) if r["name"] == "chimera"}
    for r in rows:
        if r["name"] == "chimera":
            assert (shifted / r["file"]).read_bytes() == (out / chimera[r["index"]]).read_bytes()
    with pytest.raises(ValueError, match="unknown outlier kinds"):
        generate_dataset(tmp_path / "bad", per_taxon=0, seed=0, outliers_per_kind=1, outlier_kinds=("moss",),
                         progress=False)
