"""Training outliers for outlier exposure: timbers that are none of the known classes, and wood-coloured textures.

- **Chimeras**: the vessels of one known genus, the parenchyma of another, the rays and colour of a third, with
  sizes and densities stretched beyond the donors' ranges. They teach the model that a photo must match a known
  class as a whole, not in one feature. Only the known genera's parameters are used; the open-set test genera
  (Shorea, Entandrophragma, Milicia, Betula, Ulmus) never are.
- **Swaps**: one known taxon with one anatomy group (vessels, parenchyma, rays or colour) from another genus where
  that group clearly differs: the near misses a genus unknown to the model often is (one or two features apart).
- **Shifts**: one known taxon with one anatomical feature moved outside its range (vessel size or density, ray
  width or frequency, parenchyma band spacing or sheath, broad-ray width: the whole range scaled past one of its
  ends by 1.4-2.2x) or taken away (broad rays, marginal parenchyma, bands, storied rays, deposits, canals,
  included phloem). The nearest misses of all: an unknown genus that shares a known class's look except in one
  character. Applied to every known taxon alike, never aimed at any open-set genus; a shift that leaves the
  anatomy close to any known taxon in every group is drawn again.
- **Textures**: featureless or fibrous wood-coloured surfaces (multi-scale colour noise, streaks, speckles) through
  the same camera. Without them a smooth brown surface looks most like pine, the one class without pores.

The non-wood test inputs (``ood.py``: scenes, X-ray crops, documents, noise) come from a different generator.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from smartinspect.wood.datagen.acquisition import jpeg_roundtrip, photograph
from smartinspect.wood.datagen.anatomy import Anatomy
from smartinspect.wood.datagen.genera import KNOWN
from smartinspect.wood.datagen.render import render_end_grain
from smartinspect.wood.datagen.structure import smooth_noise

OUTLIER_KINDS = ("chimera", "swap", "shift", "texture", "plain")
DEFAULT_OUTLIER_KINDS = ("chimera", "swap", "texture")  # what a recipe gets unless it names its kinds


def _by_genus() -> dict[str, list[Anatomy]]:
    out: dict[str, list[Anatomy]] = {}
    for a in KNOWN:
        out.setdefault(a.genus, []).append(a)
    return out


def _stretch(span: tuple[float, float], factor: float) -> tuple[float, float]:
    return (span[0] * factor, span[1] * factor)


def chimera_anatomy(rng: np.random.Generator) -> tuple[Anatomy, list[str]]:
    """An anatomy assembled from three different known genera, stretched; returns it and its donors."""
    genera = _by_genus()
    names = list(rng.choice(sorted(genera), size=3, replace=False))
    donors = [genera[g][int(rng.integers(0, len(genera[g])))] for g in names]
    vessel_donor, parenchyma_donor, ray_donor = donors
    vessels = vessel_donor.vessels
    if vessels is not None:
        f = rng.uniform(0.6, 1.6)
        vessels = replace(vessels, lw_diameter_um=_stretch(vessels.lw_diameter_um, f),
                          ew_diameter_um=_stretch(vessels.ew_diameter_um, f),
                          density_mm2=_stretch(vessels.density_mm2, rng.uniform(0.5, 2.0)))
    colour = donors[int(rng.integers(1, 3))]  # never the vessel donor's colour
    chimera = replace(
        vessel_donor, taxon="chimera", genus="chimera", vessels=vessels, parenchyma=parenchyma_donor.parenchyma,
        rays=ray_donor.rays, colour_light=colour.colour_light, colour_dark=colour.colour_dark,
        streaks=colour.streaks, ring_width_mm=_stretch(vessel_donor.ring_width_mm, rng.uniform(0.6, 1.6)),
        canals=[None, vessel_donor.canals, ray_donor.canals][int(rng.integers(0, 3))],
        included_phloem=[None, parenchyma_donor.included_phloem][int(rng.integers(0, 2))], sources=(),
    )
    return chimera, names


def _group_differs(group: str, a: Anatomy, b: Anatomy) -> bool:
    """Whether ``b``'s ``group`` looks clearly different from ``a``'s under a loupe (coarse rules)."""
    if group == "vessels":
        va, vb = a.vessels, b.vessels
        if va is None or vb is None:
            return (va is None) != (vb is None)
        ratio = np.mean(vb.lw_diameter_um) / np.mean(va.lw_diameter_um)
        density = np.mean(vb.density_mm2) / np.mean(va.density_mm2)
        return (va.porosity != vb.porosity or va.arrangement != vb.arrangement or not 0.6 < ratio < 1.6
                or not 0.5 < density < 2.0)
    if group == "parenchyma":
        pa, pb = a.parenchyma, b.parenchyma
        return pa.paratracheal != pb.paratracheal or pa.bands != pb.bands or (pa.marginal_um[1] > 0) != (
            pb.marginal_um[1] > 0)
    if group == "rays":
        ra, rb = a.rays, b.rays
        return ((ra.broad_width_um is None) != (rb.broad_width_um is None) or ra.storied != rb.storied
                or not 0.5 < np.mean(rb.width_um) / np.mean(ra.width_um) < 2.0)
    light = np.asarray(a.colour_light) + np.asarray(a.colour_dark)
    return float(np.abs(light - (np.asarray(b.colour_light) + np.asarray(b.colour_dark))).max()) > 90


def swap_anatomy(rng: np.random.Generator) -> tuple[Anatomy, list[str]]:
    """A known taxon with one anatomy group (vessels, parenchyma, rays or colour) taken from another genus where
    that group clearly differs: the near misses a new genus often is. Returns it and (base, donor, group)."""
    for _ in range(100):
        base, donor = KNOWN[int(rng.integers(0, len(KNOWN)))], KNOWN[int(rng.integers(0, len(KNOWN)))]
        group = ("vessels", "parenchyma", "rays", "colour")[int(rng.integers(0, 4))]
        if base.genus == donor.genus or not _group_differs(group, base, donor):
            continue
        if group == "colour":
            changes = {"colour_light": donor.colour_light, "colour_dark": donor.colour_dark, "streaks": donor.streaks}
        else:
            changes = {group: getattr(donor, group)}
        return replace(base, taxon="swap", genus="swap", sources=(), **changes), [base.genus, donor.genus, group]
    raise RuntimeError("no clearly different anatomy group found in 100 draws")


_SHIFTABLE = (  # (group, field): ranges whose values a loupe shows
    ("vessels", "lw_diameter_um"), ("vessels", "density_mm2"), ("rays", "width_um"), ("rays", "per_mm"),
    ("rays", "broad_width_um"), ("parenchyma", "band_spacing_um"), ("parenchyma", "halo_um"),
)


def _shifted_span(span: tuple[float, float], up: bool, factor: float) -> tuple[float, float]:
    """``span`` moved wholly past one end by ``factor``, keeping its relative width."""
    lo, hi = span
    if up:
        return (hi * factor, hi * factor * hi / lo)
    return (lo / factor * lo / hi, lo / factor)


def _span(a: Anatomy, feature: str) -> tuple[float, float] | None:
    group, name = feature.split(".")
    obj = getattr(a, group)
    if obj is None or (name == "band_spacing_um" and a.parenchyma.bands == "none") or (
            name == "halo_um" and a.parenchyma.paratracheal == "none"):
        return None
    span = getattr(obj, name)
    return span if span is not None and span[0] > 0 else None


def _has(a: Anatomy, feature: str) -> bool:
    v, par, rays = a.vessels, a.parenchyma, a.rays
    return {"broad_rays": rays.broad_width_um is not None, "marginal": par.marginal_um[1] > 0,
            "bands": par.bands != "none", "storied": rays.storied,
            "deposits": v is not None and v.deposits >= 0.3, "canals": a.canals is not None,
            "included_phloem": a.included_phloem is not None}[feature]


_REMOVABLE = ("broad_rays", "marginal", "bands", "storied", "deposits", "canals", "included_phloem")


def _shift_options(a: Anatomy) -> list[tuple[str, str]]:
    """("shift" | "remove", feature) changes that apply to ``a``."""
    shifts = [("shift", f"{g}.{n}") for g, n in _SHIFTABLE if _span(a, f"{g}.{n}") is not None]
    return shifts + [("remove", f) for f in _REMOVABLE if _has(a, f)]


def _apply_shift(rng: np.random.Generator, a: Anatomy, change: tuple[str, str]) -> Anatomy:
    what, feature = change
    v, par, rays = a.vessels, a.parenchyma, a.rays
    if what == "shift":
        group, name = feature.split(".")
        up, factor = bool(rng.random() < 0.5), float(rng.uniform(1.4, 2.2))
        obj = getattr(a, group)
        changes = {name: _shifted_span(getattr(obj, name), up, factor)}
        if (group, name) == ("vessels", "lw_diameter_um") and v.ew_diameter_um[0] > 0:  # ring-porous: both zones
            changes["ew_diameter_um"] = _shifted_span(v.ew_diameter_um, up, factor)
        return replace(a, **{group: replace(obj, **changes)})
    if feature == "broad_rays":
        return replace(a, rays=replace(rays, broad_width_um=None, broad_spacing_mm=None))
    if feature == "marginal":
        return replace(a, parenchyma=replace(par, marginal_um=(0.0, 0.0)))
    if feature == "bands":
        return replace(a, parenchyma=replace(par, bands="none", band_spacing_um=(0.0, 0.0), band_width_um=(0.0, 0.0)))
    if feature == "storied":
        return replace(a, rays=replace(rays, storied=False))
    if feature == "deposits":
        return replace(a, vessels=replace(v, deposits=0.0, white_deposits=0.0))
    if feature == "canals":
        return replace(a, canals=None)
    if feature == "included_phloem":
        return replace(a, included_phloem=None)
    raise ValueError(f"unknown change {change!r}")


def _like_a_known_taxon(a: Anatomy, change: tuple[str, str]) -> bool:
    """Whether some known taxon looks like ``a`` in every group (vessels, parenchyma, rays, colour) and in the
    changed feature: its range of that feature overlaps the new one, or it lacks the removed feature too."""
    what, feature = change
    for k in KNOWN:
        if any(_group_differs(g, k, a) for g in ("vessels", "parenchyma", "rays", "colour")):
            continue
        if what == "remove" and not _has(k, feature):
            return True
        if what == "shift":
            new, theirs = _span(a, feature), _span(k, feature)
            if theirs is not None and new[0] <= theirs[1] and theirs[0] <= new[1]:
                return True
    return False


def shift_anatomy(rng: np.random.Generator) -> tuple[Anatomy, list[str]]:
    """A known taxon with one feature moved outside its range or taken away; returns it and (base, what, feature).
    Drawn again while it still looks like some known taxon in every group."""
    for _ in range(100):
        base = KNOWN[int(rng.integers(0, len(KNOWN)))]
        options = _shift_options(base)
        change = options[int(rng.integers(0, len(options)))]
        shifted = _apply_shift(rng, base, change)
        if not _like_a_known_taxon(shifted, change):
            return replace(shifted, taxon="shift", genus="shift", sources=()), [base.taxon, *change]
    raise RuntimeError("no shift unlike every known taxon in 100 draws")


def _timber_colour(rng: np.random.Generator) -> np.ndarray:
    """RGB 0-1 of a random known timber, between its light and dark colour."""
    donor = KNOWN[int(rng.integers(0, len(KNOWN)))]
    light, dark = np.asarray(donor.colour_light, np.float32), np.asarray(donor.colour_dark, np.float32)
    return (light + rng.uniform(0, 1) * (dark - light)) / 255


def render_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float32 RGB 0-1: a wood-coloured surface with no wood anatomy."""
    base = _timber_colour(rng)
    shade = np.ones((size, size), np.float32)
    for _ in range(int(rng.integers(1, 4))):  # smooth variation at a few scales
        shade += rng.uniform(0.03, 0.15) * smooth_noise(rng, size, int(rng.integers(2, 40)))
    fine = cv2.GaussianBlur(rng.standard_normal((size, size), dtype=np.float32), (0, 0), rng.uniform(0.5, 2.5))
    shade += rng.uniform(0.02, 0.12) * fine / (fine.std() + 1e-6)
    if rng.random() < 0.4:  # fibrous streaks in one direction
        streaks = cv2.blur(rng.standard_normal((size, size), dtype=np.float32), (int(rng.integers(8, 60)), 1))
        rot = cv2.getRotationMatrix2D((size / 2, size / 2), rng.uniform(0, 180), 1.0)
        streaks = cv2.warpAffine(streaks, rot, (size, size), borderMode=cv2.BORDER_REFLECT)
        shade += rng.uniform(0.05, 0.2) * streaks / (streaks.std() + 1e-6)
    if rng.random() < 0.4:  # scattered specks, light or dark
        specks = (rng.random((size, size)) < rng.uniform(0.002, 0.03)).astype(np.float32)
        specks = cv2.GaussianBlur(specks, (0, 0), rng.uniform(0.6, 2.0))
        shade += (1 if rng.random() < 0.5 else -1) * specks / (specks.max() + 1e-6) * rng.uniform(0.2, 0.6)
    return np.clip(base * shade[..., None], 0, 1)


def render_plain(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float32 RGB 0-1: a plain surface in a timber's colour, with no anatomy and none of the
    texture kind's streaks or specks: gentle shading and a little fine grain. Under a loupe, skin, card, plaster or
    fine sand look like this, and a network trained only on textures with visible structure can still take such a
    surface for the least featured timber (docs/wood.md, experiment 15: every accepted non-wood photo is Pinus)."""
    base = _timber_colour(rng)
    shade = np.ones((size, size), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        shade += rng.uniform(0.01, 0.08) * smooth_noise(rng, size, int(rng.integers(2, 12)))
    fine = cv2.GaussianBlur(rng.standard_normal((size, size), dtype=np.float32), (0, 0), rng.uniform(0.5, 2.0))
    shade += rng.uniform(0.005, 0.05) * fine / (fine.std() + 1e-6)
    return np.clip(base * shade[..., None], 0, 1)


_ANATOMY_MAKERS = {"chimera": chimera_anatomy, "swap": swap_anatomy, "shift": shift_anatomy}


def render_outlier(rng: np.random.Generator, kind: str, *, size: int) -> tuple[bytes, dict]:
    """One outlier JPEG of ``kind`` (one of OUTLIER_KINDS) and its parameters."""
    if kind in _ANATOMY_MAKERS:
        anatomy, donors = _ANATOMY_MAKERS[kind](rng)
        image = render_end_grain(rng, anatomy, size=size)
        return image.jpeg, image.params | {"kind": kind, "donors": donors}
    if kind in ("texture", "plain"):
        rgb, camera = photograph(rng, (render_texture if kind == "texture" else render_plain)(rng, size))
        jpeg, quality = jpeg_roundtrip(rng, rgb)
        return jpeg, {"kind": kind, "camera": camera, "jpeg_quality": quality}
    raise ValueError(f"unknown outlier kind {kind!r}; valid: {', '.join(OUTLIER_KINDS)}")
