"""Firearm silhouettes for threat image projection: pistols and rifles, side profile facing the beam.

Shapes are polygons in a local frame (mm, muzzle towards +x, y up), each with the path the ray takes through the
part: a pistol slide is 25-32 mm of steel across the ray, a grip holds a steel magazine with brass cartridges.
The whole gun is rotated and moved into place.
"""

from __future__ import annotations

import math

import numpy as np

from smartinspect.xray.datagen.parts import Outline, Polygon


def _rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _slanted(x_top0: float, x_top1: float, y_top: float, height: float, lean_deg: float) -> Polygon:
    """A grip-like parallelogram hanging down from y_top, leaning backwards by ``lean_deg``."""
    dx = height * math.tan(math.radians(lean_deg))
    return [(x_top0, y_top), (x_top1, y_top), (x_top1 - dx, y_top - height), (x_top0 - dx, y_top - height)]


def _ellipse(xc: float, yc: float, rx: float, ry: float, n: int = 20) -> Polygon:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return list(zip(xc + rx * np.cos(a), yc + ry * np.sin(a), strict=True))


def pistol_outline(rng: np.random.Generator) -> tuple[list[tuple[str, Polygon, float]], dict]:
    """(material, polygon, path mm) parts of a semi-automatic pistol, 170-220 mm long, and its description."""
    length = rng.uniform(170.0, 220.0)
    slide_h = rng.uniform(0.14, 0.17) * length
    grip_h = rng.uniform(0.5, 0.6) * length
    lean = rng.uniform(12.0, 22.0)
    steel_frame = rng.random() < 0.35
    slide_t = rng.uniform(25.0, 32.0)
    hg = grip_h
    parts = [("steel", _rect(0.0, hg, length, hg + slide_h), slide_t),
             ("steel", _rect(length - 3, hg + 0.3 * slide_h, length + 2, hg + 0.7 * slide_h), 12.0),
             ("steel" if steel_frame else "plastic", _rect(0.4 * length, hg - 0.07 * length, length - 8, hg), 22.0)]
    grip = _slanted(0.03 * length, 0.33 * length, hg, grip_h, lean)
    parts.append(("steel" if steel_frame else "plastic", grip, 30.0))
    mag = _slanted(0.09 * length, 0.27 * length, hg - 0.02 * length, grip_h * 1.02, lean)
    parts += [("steel", mag, 2 * 1.0), ("copper", _shrink(mag, 0.15, 0.1), 7.5)]  # box and brass cartridges
    gx, gy = 0.45 * length, hg - 0.085 * length
    parts += [("steel" if steel_frame else "plastic", _ellipse(gx, gy, 0.12 * length, 0.085 * length), 10.0),
              ("steel" if steel_frame else "plastic", _ellipse(gx, gy, 0.095 * length, 0.06 * length), -10.0),
              ("steel", _slanted(0.40 * length, 0.43 * length, hg, 0.09 * length, -10.0), 6.0),
              ("steel", _rect(-0.03 * length, hg + 0.2 * slide_h, 0.02 * length, hg + 1.05 * slide_h), 12.0)]
    return parts, {"length_mm": round(length), "frame": "steel" if steel_frame else "polymer"}


def rifle_outline(rng: np.random.Generator) -> tuple[list[tuple[str, Polygon, float]], dict]:
    """Parts of an assault or hunting rifle, 800-1000 mm long: stock, receiver, barrel, magazine, grip."""
    length = rng.uniform(800.0, 1000.0)
    stock = str(rng.choice(["wood", "plastic"]))
    y = 0.12 * length  # bore line
    parts = [(stock, [(0.0, 0.01 * length), (0.0, y + 0.06 * length), (0.3 * length, y + 0.02 * length),
                      (0.3 * length, y - 0.04 * length)], 40.0),
             ("steel", _rect(0.3 * length, y - 0.04 * length, 0.58 * length, y + 0.035 * length), 14.0),
             ("steel", _rect(0.33 * length, y - 0.01 * length, 0.5 * length, y + 0.025 * length), 16.0),  # bolt
             ("steel", _rect(0.58 * length, y - 9.0, length, y + 9.0), 15.0),  # barrel, ~20 mm
             ("steel", _rect(0.6 * length, y + 12.0, 0.8 * length, y + 22.0), 8.0),  # gas tube
             (stock, _rect(0.58 * length, y - 0.035 * length, 0.8 * length, y + 0.03 * length), 32.0)]
    curve = rng.uniform(0.0, 0.08) * length
    mx0, mx1, mtop = 0.45 * length, 0.52 * length, y - 0.04 * length
    mag = [(mx0, mtop), (mx1, mtop), (mx1 + curve, mtop - 0.22 * length), (mx0 + curve, mtop - 0.22 * length)]
    parts += [("steel", mag, 6.0), ("copper", _shrink(mag, 0.2, 0.05), 8.0),
              (stock, _slanted(0.34 * length, 0.39 * length, mtop, 0.13 * length, 18.0), 30.0),
              ("steel", _rect(0.39 * length, mtop - 0.06 * length, 0.45 * length, mtop - 0.05 * length), 8.0)]
    return parts, {"length_mm": round(length), "stock": stock}


def _shrink(poly: Polygon, fx: float, fy: float) -> Polygon:
    """The polygon scaled about its centroid by (1 - fx, 1 - fy)."""
    p = np.asarray(poly)
    c = p.mean(axis=0)
    return [tuple(v) for v in (p - c) * [1 - fx, 1 - fy] + c]


def firearm_outline(rng: np.random.Generator, subtype: str) -> Outline:
    """A random ``subtype`` ("pistol" | "rifle") in its local frame."""
    if subtype not in FIREARM_SUBTYPES:
        raise ValueError(f"unknown firearm subtype {subtype!r}; valid: {FIREARM_SUBTYPES}")
    pieces, info = (pistol_outline if subtype == "pistol" else rifle_outline)(rng)
    return Outline(pieces, {"model": subtype, **info})


FIREARM_SUBTYPES = ("pistol", "rifle")
