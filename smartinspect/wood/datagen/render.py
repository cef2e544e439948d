"""One synthetic end-grain photo: anatomy -> surface (structure, vessels, parenchyma, rays, canals) -> camera."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.wood.datagen import structure as st
from smartinspect.wood.datagen.acquisition import (
    FIELD_AT_10X_MM,
    MAGNIFICATION,
    jpeg_roundtrip,
    photograph,
    sanding_marks,
)
from smartinspect.wood.datagen.anatomy import Anatomy, descriptor
from smartinspect.wood.datagen.vessels import (
    canal_mask,
    paratracheal_mask,
    phloem_mask,
    place_vessels,
    plan_vessels,
    vessel_masks,
)

GENERATOR_VERSION = "1.1.0"  # 1.1: photos record their anatomy descriptor (pixels unchanged)
DEFAULT_SIZE = 384  # pixels of the written photo (a phone photo scaled down; serving resizes anyway)

_WHITE = np.array([0.93, 0.91, 0.86], np.float32)


@dataclass
class EndGrainImage:
    """A rendered photo. ``rgb``: (n, n, 3) uint8 after acquisition; ``jpeg``: the bytes written to disk;
    ``surface``: (n, n, 3) float32 0-1 before the camera; ``params``: every draw, JSON-ready."""

    rgb: np.ndarray
    jpeg: bytes
    surface: np.ndarray
    params: dict
    vessel_diameters_um: np.ndarray  # tangential diameter of each vessel
    vessel_in_latewood: np.ndarray  # bool per vessel: outside the earlywood pore zone


def render_surface(rng: np.random.Generator, anatomy: Anatomy, n: int, um_per_px: float) -> tuple[
        np.ndarray, dict, list]:
    """The sanded end-grain surface, (n, n, 3) float32 RGB 0-1, its parameters and the vessels drawn."""
    geo = st.make_geometry(rng, anatomy, n, um_per_px)
    plan = plan_vessels(rng, anatomy.vessels) if anatomy.vessels is not None else None
    ew_zone_um = st.earlywood_zone_um(anatomy, plan.ew_diameter_um, plan.ew_rows) if plan else 0.0
    ew_zone = (geo.p * geo.ring_um) < ew_zone_um
    rgb, colour_info = st.ground_colour(rng, anatomy, geo, ew_zone_um)
    common, broad = st.ray_coverage(rng, anatomy, geo)
    vessels = []
    if plan is not None:
        vessels = place_vessels(rng, anatomy, geo, plan, ew_zone_um, forbidden=broad > 0.3)
    parenchyma = np.maximum(st.band_coverage(rng, anatomy, geo, ew_zone),
                            paratracheal_mask(rng, anatomy, vessels, n, um_per_px))
    rgb = st.blend(rgb, st.lighten(rgb, anatomy.parenchyma.tone), parenchyma)
    rgb = st.blend(rgb, st.lighten(rgb, anatomy.rays.tone), common)
    rgb = st.blend(rgb, st.lighten(rgb, anatomy.rays.tone * 1.5), broad)  # broad rays catch more light
    if anatomy.included_phloem is not None:
        rgb = st.blend(rgb, np.asarray(anatomy.included_phloem.colour, np.float32) / 255,
                       phloem_mask(rng, anatomy, geo))
    if anatomy.canals is not None:
        lumen, rim = canal_mask(rng, anatomy, geo)
        rgb = st.blend(rgb, rgb * 0.55, rim)
        rgb = st.blend(rgb, np.asarray(anatomy.canals.colour, np.float32) / 255 * rng.uniform(0.85, 1.0), lumen)
    rgb = _paint_vessels(rng, anatomy, rgb, vessel_masks(vessels, n))
    params = {"porosity": anatomy.vessels.porosity if anatomy.vessels else "none", **colour_info,
              "ring_bounds_um": len(geo.bounds), "vessels": len(vessels)}
    if plan is not None:
        params |= {"vessel_diameter_um": round(plan.lw_diameter_um, 1), "vessel_density_mm2": round(
            plan.density_mm2, 2), "ew_vessel_diameter_um": round(plan.ew_diameter_um, 1), "ew_rows": plan.ew_rows}
    depth = [float(geo.p[int(v.y), int(v.x)] * geo.ring_um[int(v.y), int(v.x)] >= ew_zone_um) for v in vessels]
    return rgb, params, list(zip(vessels, depth, strict=True))


def _paint_vessels(rng: np.random.Generator, anatomy: Anatomy, rgb: np.ndarray,
                   masks: dict[str, np.ndarray]) -> np.ndarray:
    """Open pores are dark shadows; tyloses glossy; deposits coloured (gum) or white (minerals)."""
    assert anatomy.vessels is not None or not masks["open"].any()
    rgb = st.blend(rgb, rgb * rng.uniform(0.08, 0.2), masks["open"])
    rgb = st.blend(rgb, st.lighten(rgb * 0.9, 0.18), masks["tyloses"])
    if anatomy.vessels is not None:
        gum = np.asarray(anatomy.vessels.deposit_colour, np.float32) / 255 * rng.uniform(0.8, 1.2)
        rgb = st.blend(rgb, np.clip(gum, 0, 1), masks["deposit"])
    return st.blend(rgb, _WHITE * rng.uniform(0.9, 1.0), masks["white"])


def render_end_grain(rng: np.random.Generator, anatomy: Anatomy, *, size: int = DEFAULT_SIZE,
                     magnification: float | None = None) -> EndGrainImage:
    """Draw and render one photo of ``anatomy``'s end grain. Deterministic for a given ``rng`` state."""
    surface_rng, camera_rng = rng.spawn(2)
    mag = magnification if magnification is not None else float(surface_rng.uniform(*MAGNIFICATION))
    um_per_px = FIELD_AT_10X_MM * 1000.0 * (10.0 / mag) / size
    surface, params, vessels = render_surface(surface_rng, anatomy, size, um_per_px)
    sanded, sanding = sanding_marks(camera_rng, surface, um_per_px)
    rgb, camera = photograph(camera_rng, sanded)
    jpeg, quality = jpeg_roundtrip(camera_rng, rgb)
    params["anatomy_descriptor"] = descriptor(anatomy, params)
    params |= {"taxon": anatomy.taxon, "genus": anatomy.genus, "magnification": round(mag, 2),
               "um_per_px": round(um_per_px, 3), "field_mm": round(um_per_px * size / 1000, 3), **sanding,
               "camera": camera, "jpeg_quality": quality, "generator_version": GENERATOR_VERSION}
    diameters = np.array([2 * v.half_t * um_per_px for v, _ in vessels], np.float32)
    latewood = np.array([d for _, d in vessels], bool)
    return EndGrainImage(rgb, jpeg, surface, params, diameters, latewood)
