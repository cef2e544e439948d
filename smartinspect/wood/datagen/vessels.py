"""Discrete cells of an end grain: vessels (pores) and their parenchyma sheaths, resin/gum canals, included phloem.

Vessel groups are placed by thinning uniform candidates with an intensity that depends on the position within
the growth ring (ring-porous earlywood packs large pores; diffuse-porous woods spread them evenly), then grouped as
the genus groups them: solitary, radial multiples, clusters, diagonal chains, latewood flames, wavy tangential
bands. A group is kept only where it overlaps no earlier one. Shapes are drawn anti-aliased with sub-pixel centres.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from smartinspect.wood.datagen.anatomy import Anatomy, Vessels
from smartinspect.wood.datagen.structure import Geometry, uniform

_SHIFT = 4  # cv2 fixed-point bits: 1/16 px precision
_SCALE = 1 << _SHIFT
CONTENTS = ("open", "tyloses", "deposit", "white")


@dataclass(frozen=True)
class Vessel:
    x: float  # px
    y: float
    half_t: float  # tangential semi-axis, px
    half_r: float  # radial semi-axis, px
    angle: float  # radial direction, degrees (image coordinates)
    content: str  # one of CONTENTS


@dataclass(frozen=True)
class VesselPlan:
    """Image-level draws: mean diameters, densities, earlywood rows."""

    ew_diameter_um: float
    lw_diameter_um: float
    density_mm2: float
    ew_rows: int


def plan_vessels(rng: np.random.Generator, vessels: Vessels) -> VesselPlan:
    rows = int(rng.integers(vessels.ew_rows[0], vessels.ew_rows[1] + 1)) if vessels.ew_rows[1] else 0
    return VesselPlan(uniform(rng, vessels.ew_diameter_um), uniform(rng, vessels.lw_diameter_um),
                      uniform(rng, vessels.density_mm2), rows)


def _content(rng: np.random.Generator, v: Vessels) -> str:
    u = rng.random()
    for name, share in (("tyloses", v.tyloses), ("deposit", v.deposits), ("white", v.white_deposits)):
        if u < share:
            return name
        u -= share
    return "open"


def _local_intensity(v: Vessels, plan: VesselPlan, depth_um: float, p: float, ew_zone_um: float) -> tuple[
        float, float]:
    """(groups per mm^2 relative scale, diameter µm) at a point ``depth_um`` into its ring (position ``p``)."""
    packed = 0.6e6 / (np.pi / 4 * max(plan.ew_diameter_um, 1.0) ** 2)  # earlywood: ~60 % of the area is pore
    if v.porosity == "ring":
        if depth_um < ew_zone_um:
            return packed, plan.ew_diameter_um
        return plan.density_mm2, plan.lw_diameter_um
    if v.porosity == "semi_ring":
        k = min(1.0, depth_um / max(ew_zone_um * 2.2, 1.0)) ** 0.8
        return packed * (1 - k) + plan.density_mm2 * k, plan.ew_diameter_um * (1 - k) + plan.lw_diameter_um * k
    return plan.density_mm2 * (0.7 if p > 0.9 else 1.0), plan.lw_diameter_um


def _group_offsets(rng: np.random.Generator, v: Vessels, in_latewood: bool, d_px: float) -> list[tuple[
        float, float, float]]:
    """Members of one group as (radial offset, tangential offset, size factor), in px, around the anchor."""
    if v.arrangement == "flame" and in_latewood:
        count = int(rng.integers(5, 14))
        length = d_px * rng.uniform(5, 12)
        out = []
        for _ in range(count):
            along = rng.uniform(0, length)
            out.append((along, rng.normal(0, 0.4 + along / length) * d_px * 1.3, rng.uniform(0.6, 1.1)))
        return out
    if v.arrangement == "ulmiform" and in_latewood:
        count = int(rng.integers(4, 11))
        return [(rng.normal(0, 0.3) * d_px, i * d_px * 1.15, rng.uniform(0.7, 1.1)) for i in range(count)]
    if v.arrangement == "diagonal":
        count = int(rng.integers(1, 4))
        slope = rng.choice([-1.0, 1.0]) * rng.uniform(0.6, 1.6)
        step = d_px * rng.uniform(1.8, 2.6)
        return [(i * step / np.hypot(1, slope), i * step * slope / np.hypot(1, slope), 1.0) for i in range(count)]
    u = rng.random()
    if u < v.multiples and v.max_multiple > 1:
        count = int(rng.integers(2, v.max_multiple + 1))
        return [(i * d_px * 0.82, 0.0, 0.9 if 0 < i < count - 1 else 1.0) for i in range(count)]
    if u < v.multiples + v.clusters:
        return [(rng.normal(0, 0.7) * d_px, rng.normal(0, 0.7) * d_px, rng.uniform(0.6, 1.0))
                for _ in range(int(rng.integers(3, 7)))]
    return [(0.0, 0.0, 1.0)]


def place_vessels(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry, plan: VesselPlan, ew_zone_um: float,
                  forbidden: np.ndarray) -> list[Vessel]:
    """Vessel groups for the field. ``forbidden``: (n, n) bool where no vessel may sit (broad rays)."""
    v = anatomy.vessels
    assert v is not None
    n, s = geo.n, geo.um_per_px
    area_mm2 = (n * s / 1000.0) ** 2
    peak, _ = _local_intensity(v, plan, 0.0, 0.0, ew_zone_um)
    peak = max(peak, plan.density_mm2)
    # Candidates at the peak intensity (plus 30 % for those lost to overlaps), thinned to the local intensity.
    n_candidates = int(rng.poisson(peak * area_mm2 * 1.3)) + 1
    occupied = np.zeros((n, n), np.uint8)
    out: list[Vessel] = []
    for cx, cy in rng.uniform(0, n - 1, size=(n_candidates, 2)):
        i, j = int(cy), int(cx)
        if forbidden[i, j] or occupied[i, j]:
            continue
        depth = float(geo.p[i, j] * geo.ring_um[i, j])
        lam, diameter = _local_intensity(v, plan, depth, float(geo.p[i, j]), ew_zone_um)
        in_latewood = depth >= ew_zone_um
        if rng.random() > lam / peak / _mean_group_size(v, in_latewood):
            continue
        d_px = diameter * rng.uniform(0.8, 1.2) / s
        theta = float(geo.radial_angle[i, j])
        ur, ut = np.array([np.cos(theta), np.sin(theta)]), np.array([-np.sin(theta), np.cos(theta)])
        members = []
        for dr, dt, size in _group_offsets(rng, v, in_latewood, d_px):
            x, y = np.array([cx, cy]) + dr * ur + dt * ut
            if not (0 <= x < n and 0 <= y < n) or occupied[int(y), int(x)] or forbidden[int(y), int(x)]:
                continue
            half_t = d_px * size / 2
            members.append(Vessel(float(x), float(y), half_t, half_t * rng.uniform(1.0, 1.3),
                                  float(np.degrees(theta)), _content(rng, v)))
        for m in members:
            draw_ellipse(occupied, m.x, m.y, m.half_r * 1.25 + 1, m.half_t * 1.25 + 1, m.angle, 1)
        out.extend(members)
    return out


def _mean_group_size(v: Vessels, in_latewood: bool) -> float:
    """Vessels per group, so that densities (vessels per mm^2) become group intensities."""
    if in_latewood and v.arrangement == "flame":
        return 9.0
    if in_latewood and v.arrangement == "ulmiform":
        return 7.0
    if v.arrangement == "diagonal":
        return 2.0
    multiples = v.multiples * (2 + v.max_multiple) / 2 if v.max_multiple > 1 else 0.0
    return max(1.0, (1 - v.multiples - v.clusters) + multiples + v.clusters * 4.5)


def draw_ellipse(canvas: np.ndarray, x: float, y: float, half_a: float, half_b: float, angle: float,
                 value: int) -> None:
    """Filled, anti-aliased ellipse; ``half_a`` along ``angle`` (degrees), ``half_b`` across it."""
    centre = (round(x * _SCALE), round(y * _SCALE))
    axes = (max(1, round(half_a * _SCALE)), max(1, round(half_b * _SCALE)))
    cv2.ellipse(canvas, centre, axes, angle, 0, 360, value, -1, cv2.LINE_AA, _SHIFT)


def draw_lozenge(canvas: np.ndarray, x: float, y: float, half_r: float, half_t: float, angle: float) -> None:
    """Aliform (lozenge / winged) parenchyma: a diamond long in the tangential direction."""
    a = np.radians(angle)
    ur, ut = np.array([np.cos(a), np.sin(a)]), np.array([-np.sin(a), np.cos(a)])
    c = np.array([x, y])
    pts = np.array([c + half_r * ur, c + half_t * ut, c - half_r * ur, c - half_t * ut])
    cv2.fillPoly(canvas, [np.round(pts * _SCALE).astype(np.int32)], 255, cv2.LINE_AA, _SHIFT)


def paratracheal_mask(rng: np.random.Generator, anatomy: Anatomy, vessels: list[Vessel], n: int,
                      um_per_px: float) -> np.ndarray:
    """Parenchyma around the vessels: vasicentric sheaths, aliform lozenges, confluent wings. (n, n) 0-1."""
    par = anatomy.parenchyma
    mask = np.zeros((n, n), np.uint8)
    if par.paratracheal == "none":
        return mask.astype(np.float32)
    halo = uniform(rng, par.halo_um) / um_per_px
    wing = uniform(rng, par.wing_ratio)
    for v in vessels:
        if par.paratracheal == "vasicentric":
            draw_ellipse(mask, v.x, v.y, v.half_r + halo, v.half_t + halo, v.angle, 255)
            continue
        draw_ellipse(mask, v.x, v.y, v.half_r + halo, v.half_t + halo, v.angle, 255)
        draw_lozenge(mask, v.x, v.y, v.half_r + halo * 1.3, v.half_t * 2 * wing * rng.uniform(0.8, 1.2), v.angle)
        if par.paratracheal == "confluent" and rng.random() < 0.6:
            # Wings joining neighbours: a thin tangential band through the vessel.
            draw_ellipse(mask, v.x, v.y, halo * 0.8, v.half_t * 2 * wing * rng.uniform(1.5, 2.5), v.angle, 255)
    return mask.astype(np.float32) / 255


def vessel_masks(vessels: list[Vessel], n: int) -> dict[str, np.ndarray]:
    """Lumen coverage per content type (open, tyloses, deposit, white), each (n, n) float32 0-1."""
    canvases = {name: np.zeros((n, n), np.uint8) for name in CONTENTS}
    for v in vessels:
        draw_ellipse(canvases[v.content], v.x, v.y, v.half_r, v.half_t, v.angle, 255)
    return {name: c.astype(np.float32) / 255 for name, c in canvases.items()}


def canal_mask(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Axial canals: (lumen coverage, epithelium rim coverage), each (n, n) float32 0-1."""
    canals = anatomy.canals
    n, s = geo.n, geo.um_per_px
    lumen, rim = np.zeros((n, n), np.uint8), np.zeros((n, n), np.uint8)
    if canals is None:
        return lumen.astype(np.float32), rim.astype(np.float32)
    diameter = uniform(rng, canals.diameter_um)
    density = uniform(rng, canals.density_mm2)
    count = int(rng.poisson(density * (n * s / 1000.0) ** 2))
    centres: list[tuple[float, float]] = []
    if canals.in_tangential_lines:
        # Gum canals in long tangential lines (Shorea): pick a few lines per ring, string canals along them.
        line_r = np.sort(rng.uniform(geo.r.min(), geo.r.max(), size=max(1, count // 12)))
        for r0 in line_r:
            band = np.argwhere(np.abs(geo.r - r0) < diameter / 2)
            if len(band) == 0:
                continue
            for i, j in band[rng.permutation(len(band))[: max(3, int(len(band) * s / (diameter * 4)))]]:
                centres.append((float(j), float(i)))
    else:
        for x, y in rng.uniform(0, n - 1, size=(count * 3, 2)):
            if geo.p[int(y), int(x)] > rng.uniform(0.3, 0.7) and len(centres) < count:  # mostly late in the ring
                centres.append((float(x), float(y)))
    for x, y in centres:
        half = diameter * rng.uniform(0.8, 1.2) / s / 2
        draw_ellipse(rim, x, y, half + max(1.0, 12 / s), half + max(1.0, 12 / s), 0, 255)
        draw_ellipse(lumen, x, y, half, half, 0, 255)
    return lumen.astype(np.float32) / 255, rim.astype(np.float32) / 255


def phloem_mask(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry) -> np.ndarray:
    """Included phloem islands (Aquilaria): tangentially elongated, (n, n) float32 0-1."""
    spec = anatomy.included_phloem
    n, s = geo.n, geo.um_per_px
    mask = np.zeros((n, n), np.uint8)
    if spec is None:
        return mask.astype(np.float32)
    count = int(rng.poisson(uniform(rng, spec.density_mm2) * (n * s / 1000.0) ** 2))
    for x, y in rng.uniform(0, n - 1, size=(count, 2)):
        length = uniform(rng, spec.size_um) / s
        angle = float(np.degrees(geo.radial_angle[int(y), int(x)]))
        draw_ellipse(mask, x, y, length * rng.uniform(0.25, 0.45) / 2, length / 2, angle, 255)
    return mask.astype(np.float32) / 255
