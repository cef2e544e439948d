"""The continuous tissues of an end grain, in micrometres: ring geometry, rays, parenchyma bands, ground colour.

A field of ``n x n`` pixels at ``um_per_px`` is laid on a stem whose pith lies outside the field. Every pixel gets
a radial coordinate ``r`` (µm, towards the bark) and a tangential one ``t`` (µm along the ring), both gently warped,
so growth rings are slightly wavy concentric arcs and rays run radially across them, as in a real cross-section.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from smartinspect.wood.datagen.anatomy import Anatomy, Span


def uniform(rng: np.random.Generator, span: Span) -> float:
    return float(rng.uniform(span[0], span[1])) if span[1] > span[0] else float(span[0])


def smooth_noise(rng: np.random.Generator, n: int, cells: int) -> np.ndarray:
    """(n, n) float32 smooth random field with zero mean and unit std; ``cells`` bumps across the field."""
    grid = rng.standard_normal((cells + 3, cells + 3), dtype=np.float32)
    big = cv2.resize(grid, (n + 2 * n // cells, n + 2 * n // cells), interpolation=cv2.INTER_CUBIC)
    off = n // cells
    field = big[off:off + n, off:off + n]
    return (field - field.mean()) / (field.std() + 1e-6)


def soft_band(distance_um: np.ndarray, half_width_um: np.ndarray | float, um_per_px: float) -> np.ndarray:
    """Anti-aliased coverage (0-1) of a band of ``half_width`` around a centre line, at ``distance`` from it."""
    return np.clip((half_width_um - distance_um) / um_per_px + 0.5, 0.0, 1.0).astype(np.float32)


def nearest(centres: np.ndarray, coord: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest of the sorted 1-D ``centres`` for every value of ``coord``."""
    idx = np.clip(np.searchsorted(centres, coord), 1, len(centres) - 1)
    left, right = centres[idx - 1], centres[idx]
    use_left = (coord - left) < (right - coord)
    idx = np.where(use_left, idx - 1, idx)
    return idx, np.abs(coord - centres[idx])


@dataclass
class Geometry:
    """Per-pixel coordinates of the field. ``p`` is the position within the growth ring (0 earlywood, 1 end)."""

    n: int
    um_per_px: float
    r: np.ndarray  # (n, n) radial coordinate, µm
    t: np.ndarray  # (n, n) tangential coordinate, µm
    radial_angle: np.ndarray  # (n, n) direction pith -> bark, radians (image coordinates)
    bounds: np.ndarray  # growth-ring boundaries along r, µm, sorted
    p: np.ndarray  # (n, n) position within the ring, 0-1
    ring_um: np.ndarray  # (n, n) width of the ring the pixel lies in, µm


def ring_boundaries(rng: np.random.Generator, span_mm: Span, r_min: float, r_max: float) -> np.ndarray:
    """Boundaries covering [r_min, r_max]: a per-image mean width, each ring varying around it (climate)."""
    mean_um = uniform(rng, span_mm) * 1000.0
    bounds = [r_min - rng.uniform(0, mean_um) - mean_um]
    while bounds[-1] < r_max + mean_um:
        bounds.append(bounds[-1] + mean_um * float(np.exp(rng.normal(0.0, 0.25))))
    return np.asarray(bounds, dtype=np.float32)


def make_geometry(rng: np.random.Generator, anatomy: Anatomy, n: int, um_per_px: float) -> Geometry:
    distance = rng.uniform(15_000, 120_000)  # pith to field centre, µm (a log or board of 3-24 cm radius)
    angle = rng.uniform(0, 2 * np.pi)
    pith = np.array([np.cos(angle), np.sin(angle)]) * distance
    coords = (np.arange(n, dtype=np.float32) - (n - 1) / 2) * um_per_px
    x, y = np.meshgrid(coords, coords)
    dx, dy = x - pith[0], y - pith[1]
    radial_angle = np.arctan2(dy, dx).astype(np.float32)
    centre_angle = np.arctan2(-pith[1], -pith[0])
    r = (np.hypot(dx, dy) - distance).astype(np.float32)
    t = (distance * ((radial_angle - centre_angle + np.pi) % (2 * np.pi) - np.pi)).astype(np.float32)
    r += rng.uniform(20, 120) * smooth_noise(rng, n, 3)  # wavy rings
    t += rng.uniform(4, 15) * smooth_noise(rng, n, 6)  # rays bend slightly around vessels
    bounds = ring_boundaries(rng, anatomy.ring_width_mm, float(r.min()), float(r.max()))
    k = np.clip(np.searchsorted(bounds, r) - 1, 0, len(bounds) - 2)
    ring_um = (bounds[k + 1] - bounds[k]).astype(np.float32)
    p = ((r - bounds[k]) / ring_um).astype(np.float32)
    return Geometry(n, um_per_px, r, t, radial_angle, bounds, p, ring_um)


def earlywood_zone_um(anatomy: Anatomy, ew_diameter_um: float, rows: int) -> float:
    """Radial extent of the earlywood pore zone of ring- and semi-ring-porous woods (0 for the others)."""
    vessels = anatomy.vessels
    if vessels is None or vessels.porosity not in ("ring", "semi_ring"):
        return 0.0
    return rows * ew_diameter_um * 1.15


def ray_coverage(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Coverage of (common rays, broad rays), each (n, n) float32 0-1."""
    rays = anatomy.rays
    t_lo, t_hi = float(geo.t.min()) - 500, float(geo.t.max()) + 500
    spacing = 1000.0 / uniform(rng, rays.per_mm)
    jitter = 0.08 if rays.storied else 0.35
    width_mean = uniform(rng, rays.width_um)
    centres, widths, starts = [], [], []
    pos = t_lo + rng.uniform(0, spacing)
    while pos < t_hi:
        centres.append(pos)
        w = width_mean * (rng.uniform(0.9, 1.1) if rays.storied else rng.uniform(0.6, 1.4))
        widths.append(w)
        starts.append(rng.uniform(geo.r.min(), geo.r.max()) if rng.random() < 0.2 else -np.inf)
        pos += spacing * max(0.3, 1.0 + rng.normal(0.0, jitter))
    idx, dist = nearest(np.asarray(centres, np.float32), geo.t)
    common = soft_band(dist, np.asarray(widths, np.float32)[idx] / 2, geo.um_per_px)
    common *= geo.r > np.asarray(starts, np.float32)[idx]
    broad = np.zeros_like(common)
    if rays.broad_width_um is not None and rays.broad_spacing_mm is not None:
        b_centres, b_widths = [], []
        b_spacing = uniform(rng, rays.broad_spacing_mm) * 1000.0
        pos = t_lo + rng.uniform(0, b_spacing)
        while pos < t_hi:
            b_centres.append(pos)
            b_widths.append(uniform(rng, rays.broad_width_um))
            pos += b_spacing * rng.uniform(0.6, 1.4)
        if len(b_centres) >= 2:
            # Broad rays taper where they end and swell slightly: modulate the width along r.
            swell = 1.0 + 0.15 * smooth_noise(rng, geo.n, 4)
            b_idx, b_dist = nearest(np.asarray(b_centres, np.float32), geo.t)
            broad = soft_band(b_dist, np.asarray(b_widths, np.float32)[b_idx] / 2 * swell, geo.um_per_px)
    return common, broad


def band_coverage(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry, ew_zone: np.ndarray) -> np.ndarray:
    """Apotracheal and marginal parenchyma, (n, n) float32 0-1."""
    par = anatomy.parenchyma
    cover = np.zeros((geo.n, geo.n), np.float32)
    if par.bands != "none":
        spacing, width = uniform(rng, par.band_spacing_um), uniform(rng, par.band_width_um)
        rb = geo.r + rng.uniform(15, 60) * smooth_noise(rng, geo.n, 9)
        centres = [float(rb.min()) - spacing]
        while centres[-1] < rb.max() + spacing:
            centres.append(centres[-1] + spacing * max(0.4, 1.0 + rng.normal(0.0, 0.25)))
        idx, dist = nearest(np.asarray(centres, np.float32), rb)
        half = (width / 2) * rng.uniform(0.7, 1.3, size=len(centres)).astype(np.float32)
        bands = soft_band(dist, half[idx], geo.um_per_px)
        if par.band_continuity < 1.0:
            # Broken bands: keep the parts where a smooth field (elongated along the ring) is high enough.
            segments = smooth_noise(rng, geo.n, max(3, int(geo.n * geo.um_per_px / 250)))
            bands *= segments > np.quantile(segments, 1.0 - par.band_continuity)
        if par.bands == "aggregates":
            bands *= ~ew_zone  # diffuse-in-aggregates lines: latewood only (oak)
        cover = np.maximum(cover, bands)
    marginal = uniform(rng, par.marginal_um)
    if marginal > 0:
        porous = anatomy.vessels is not None and anatomy.vessels.porosity in ("ring", "semi_ring")
        # Initial parenchyma at the start of the ring (teak, cedar), terminal at its end (mahogany).
        edge = geo.p * geo.ring_um if porous else (1.0 - geo.p) * geo.ring_um
        cover = np.maximum(cover, soft_band(edge, marginal, geo.um_per_px))
    return cover


def ground_colour(rng: np.random.Generator, anatomy: Anatomy, geo: Geometry, ew_zone_um: float) -> tuple[
        np.ndarray, dict]:
    """(n, n, 3) float32 RGB 0-1 of the fibres (or tracheids): heartwood colour, latewood, streaks, cell texture."""
    light = np.asarray(anatomy.colour_light, np.float32) / 255
    dark = np.asarray(anatomy.colour_dark, np.float32) / 255
    base = light + rng.uniform(0, 1) * (dark - light)
    lw_dark = uniform(rng, anatomy.latewood_dark)
    if anatomy.softwood:
        start = rng.uniform(0.45, 0.75)  # abrupt or gradual earlywood-latewood transition
        profile = np.clip((geo.p - start) / rng.uniform(0.08, 0.3), 0, 1)
    else:
        start = np.clip(ew_zone_um / geo.ring_um, 0, 0.6) if ew_zone_um else 0.75
        profile = np.clip((geo.p - start) / np.maximum(1e-3, 1.0 - start), 0, 1) ** 1.5
    density = 1.0 - lw_dark * profile
    streak_strength = uniform(rng, anatomy.streaks)
    along_rings = np.interp(geo.r, np.linspace(geo.r.min(), geo.r.max(), 24),
                            rng.uniform(0, 1, 24) ** 3).astype(np.float32)
    patches = np.clip(smooth_noise(rng, geo.n, 3), 0, None) / 2.5
    streak = np.clip(0.6 * along_rings + 0.6 * patches, 0, 1) * streak_strength
    texture = rng.standard_normal((geo.n, geo.n), dtype=np.float32)
    texture = cv2.GaussianBlur(texture, (0, 0), 0.7)
    cell_um = rng.uniform(18, 35)  # fibre / tracheid files along the radius
    files = np.sin(2 * np.pi * geo.t / cell_um).astype(np.float32)
    texture = anatomy.fibre_texture * (0.7 * texture + 0.5 * files * (1.0 + profile))
    shade = (density * (1.0 - streak) * (1.0 + texture))[..., None]
    # Latewood and pigment are more saturated: the blue channel drops faster than red.
    tint = 1.0 - (1.0 - density)[..., None] * np.array([0.0, 0.25, 0.6], np.float32)
    rgb = np.clip(base * shade * tint, 0, 1)
    return rgb.astype(np.float32), {"base_rgb": [round(float(c) * 255) for c in base],
                                    "latewood_dark": round(lw_dark, 3), "streaks": round(streak_strength, 3)}


def lighten(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Move colours towards white (``amount`` > 0) or black (< 0)."""
    return rgb + (1.0 - rgb) * amount if amount >= 0 else rgb * (1.0 + amount)


def blend(rgb: np.ndarray, colour: np.ndarray, cover: np.ndarray) -> np.ndarray:
    """Paint ``colour`` ((3,) or (n, n, 3)) over ``rgb`` with per-pixel ``cover`` 0-1."""
    if not cover.any():
        return rgb
    c = cover[..., None]
    return rgb + (colour - rgb) * c
