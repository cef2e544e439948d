"""ISO 668 / ISO 1496-1 general-purpose steel containers seen side-on: structure only, no cargo.

Container frame (mm, x from the front end, y up from the bottom of the corner castings). Dimensions are the ISO
outer sizes and typical builders' sections (Corten steel): corrugated side panels 1.6-2.0 mm (trapezoid, pitch
278, depth 36, flats 72/68), roof 2.0 mm, 28 mm hardwood plywood floor on C-section cross-members 122 x 45 x 4.5
at ~300 mm, bottom side rails C 158 x 30 x 4.5, top side rails 60 x 60 x 3 tube, corner castings 178 x 162 x 118.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartinspect.xray.datagen.parts import Box, Part, hollow_box, solid
from smartinspect.xray.datagen.raster import Band, Cells, Columns, PeriodicWalls, Sampled, tubes

CORRUGATION_PITCH = 278.0
CORRUGATION_DEPTH = 36.0
CORRUGATION_FLATS = (72.0, 68.0)  # outer, inner flat widths


@dataclass(frozen=True)
class ContainerSpec:
    """Outer and inner sizes (mm) of one ISO container type."""

    name: str
    length_mm: float
    inner_length_mm: float
    wall_mm: float  # side panel sheet thickness, typical for the type
    tunnel_mm: float  # gooseneck tunnel length at the front (40 ft); 0 when none
    height_mm: float = 2591.0
    width_mm: float = 2438.0
    inner_width_mm: float = 2352.0
    floor_top_mm: float = 160.0
    roof_under_mm: float = 2553.0  # floor_top + inner height 2393

    @property
    def end_mm(self) -> float:
        """Thickness of each end (front wall or doors with their frame)."""
        return 0.5 * (self.length_mm - self.inner_length_mm)


CONTAINERS = {
    "20ft": ContainerSpec("20ft", 6058.0, 5898.0, wall_mm=2.0, tunnel_mm=0.0),
    "40ft": ContainerSpec("40ft", 12192.0, 12032.0, wall_mm=1.6, tunnel_mm=3150.0),
}


def get_container(name: str) -> ContainerSpec:
    if name not in CONTAINERS:
        raise ValueError(f"unknown container type {name!r}; valid: {sorted(CONTAINERS)}")
    return CONTAINERS[name]


def interior_box(spec: ContainerSpec, x0: float, y0: float) -> Box:
    """The cargo space in world mm for a container whose front-bottom corner is at (x0, y0)."""
    return Box(x0 + spec.end_mm, y0 + spec.floor_top_mm, x0 + spec.length_mm - spec.end_mm, y0 + spec.roof_under_mm)


def corrugation_path_factor(u: np.ndarray, phase: float) -> np.ndarray:
    """Path through a trapezoid-corrugated sheet relative to its thickness, for a ray normal to the panel."""
    outer, inner = CORRUGATION_FLATS
    slope = 0.5 * (CORRUGATION_PITCH - outer - inner)
    secant = math.hypot(slope, CORRUGATION_DEPTH) / slope
    v = np.mod(u - phase, CORRUGATION_PITCH)
    on_slope = ((v >= outer) & (v < outer + slope)) | (v >= outer + slope + inner)
    return np.where(on_slope, secant, 1.0)


def edge_on_corrugated(x_face: float, width: float, sheet: float, depth: float) -> Sampled:
    """Path along x through a corrugated sheet lying across the ray (front wall, doors), its flats at x_face and
    x_face + depth: each flat is crossed over its share of ``width``, each slope at a glancing angle."""
    outer, inner = CORRUGATION_FLATS
    slope = 0.5 * (CORRUGATION_PITCH - outer - inner)
    n = width / CORRUGATION_PITCH
    per_slope = sheet * math.hypot(slope, depth) / depth  # sheet crossed at angle atan(depth / slope) to the ray

    def fn(u: np.ndarray) -> np.ndarray:
        t = np.where((u > x_face + sheet) & (u < x_face + depth), 2 * n * per_slope, 0.0)
        t = np.where((u >= x_face) & (u <= x_face + sheet), n * outer, t)
        return np.where((u >= x_face + depth) & (u <= x_face + depth + sheet), n * inner, t)

    return Sampled(fn, x_face, x_face + depth + sheet, step=0.1)


def container_parts(spec: ContainerSpec, x0: float, y0: float, rng: np.random.Generator, *,
                    wall_mm: float | None = None) -> list[Part]:
    """Every structural part of an empty container whose front-bottom corner is at world (x0, y0)."""
    wall = spec.wall_mm if wall_mm is None else wall_mm
    parts = _base(spec, x0, y0, rng)
    parts += _sides_and_roof(spec, x0, y0, wall, rng)
    parts += _front_end(spec, x0, y0, rng)
    parts += _door_end(spec, x0, y0, rng)
    return parts


def _base(spec: ContainerSpec, x0: float, y0: float, rng: np.random.Generator) -> list[Part]:
    """Bottom side rails, cross-members, gooseneck tunnel and the plywood floor."""
    L, wi = spec.length_mm, spec.inner_width_mm
    rails = Part("steel", Cells((x0, x0 + L), (y0, y0 + 4.5, y0 + 153.5, y0 + 158.0), ((60.0,), (9.0,), (60.0,))))
    pitch = rng.uniform(290.0, 340.0)
    cm_lo, cm_hi = y0 + 10.0, y0 + 132.0
    start = x0 + 178.0 + max(spec.tunnel_mm, 0.0)
    end = x0 + L - 178.0
    parts = [rails]
    for a, b, t in ((start, end, wi), (x0 + 178.0, start, wi - 1029.0)):
        if b - a < 50.0:
            continue
        phase = a + rng.uniform(0, pitch)
        parts.append(Part("steel", Columns(a, b, cm_lo + 4.5, cm_hi - 4.5, PeriodicWalls(pitch, 4.5, t, phase))))
        flanges = PeriodicWalls(pitch, 45.0, t, phase)
        parts.append(Part("steel", Columns(a, b, cm_lo, cm_lo + 4.5, flanges)))
        parts.append(Part("steel", Columns(a, b, cm_hi - 4.5, cm_hi, flanges)))
    if spec.tunnel_mm > 0:  # tunnel roof plate, crossed along the tunnel width (1029 mm)
        parts.append(solid("steel", x0 + 178.0, x0 + 178.0 + spec.tunnel_mm, y0 + 115.0, y0 + 121.0, 1029.0))
    parts.append(solid("plywood", x0 + spec.end_mm, x0 + L - spec.end_mm, y0 + 132.0, y0 + 160.0, wi))
    return parts


def _sides_and_roof(spec: ContainerSpec, x0: float, y0: float, wall: float, rng: np.random.Generator) -> list[Part]:
    """Both corrugated side walls, the top side rails and the cambered, corrugated roof sheet."""
    L, wi = spec.length_mm, spec.inner_width_mm
    phase = x0 + rng.uniform(0, CORRUGATION_PITCH)
    side = Sampled(lambda u: 2.0 * wall * corrugation_path_factor(u, phase), x0 + 150.0, x0 + L - 150.0)
    parts = [Part("steel", Columns(x0 + 150.0, x0 + L - 150.0, y0 + 158.0, y0 + 2531.0, side))]
    top = y0 + spec.height_mm
    parts.append(Part("steel", Cells((x0, x0 + L), (top - 60, top - 57, top - 3, top), ((120.0,), (12.0,), (120.0,)))))
    # The roof sheet is crossed edge-on; its camber c spreads the sheet over c mm of height: path = width * s / c.
    camber = rng.uniform(14.0, 25.0)
    sheet, depth, pitch = 2.0, rng.uniform(3.0, 8.0), rng.uniform(200.0, 280.0)
    base = y0 + spec.roof_under_mm + 2.0
    dents = rng.normal(0.0, 1.5, size=8)
    span = np.linspace(x0, x0 + L, dents.size)

    def lo(x: np.ndarray) -> np.ndarray:
        return base + 0.5 * depth * (1 + np.sin(2 * np.pi * (x - x0) / pitch)) + np.interp(x, span, dents)

    roof_t = wi * sheet / camber
    parts.append(Part("steel", Band(x0 + 60.0, x0 + L - 60.0, lo, lambda x: lo(x) + camber,
                                    lambda x: np.full_like(x, roof_t), base - 10, base + depth + camber + 10)))
    return parts


def _end_frame(x_a: float, x_b: float, y0: float, spec: ContainerSpec, *, front: bool) -> list[Part]:
    """Corner posts (both sides), corner castings, header and sill of one end; the end spans [x_a, x_b]."""
    top = y0 + spec.height_mm
    parts = hollow_box("steel", x_a, x_b, y0 + 118.0, top - 118.0, depth=240.0, wall=6.0, end_wall=12.0)
    cast_a = x_a if front else x_b - 178.0
    for ya in (y0, top - 118.0):
        parts += hollow_box("steel", cast_a, cast_a + 178.0, ya, ya + 118.0, depth=324.0, wall=12.0, end_wall=24.0)
    beam_a = x_a if front else x_b - 120.0
    width = spec.width_mm
    parts += hollow_box("steel", beam_a, beam_a + 110.0, top - 150.0, top - 40.0, depth=width, wall=4.5,
                        end_wall=0.0)
    parts += hollow_box("steel", beam_a, beam_a + 120.0, y0, y0 + 160.0, depth=width, wall=4.5, end_wall=0.0)
    return parts


def _front_end(spec: ContainerSpec, x0: float, y0: float, rng: np.random.Generator) -> list[Part]:
    """Front frame and the corrugated front wall (vertical corrugations, crossed edge-on)."""
    parts = _end_frame(x0, x0 + 150.0, y0, spec, front=True)
    face = x0 + 30.0
    profile = edge_on_corrugated(face, spec.inner_width_mm, 2.0, CORRUGATION_DEPTH + rng.uniform(0, 9))
    parts.append(Part("steel", Columns(face, face + 50.0, y0 + 160.0, y0 + spec.height_mm - 118.0, profile)))
    return parts


def _door_end(spec: ContainerSpec, x0: float, y0: float, rng: np.random.Generator) -> list[Part]:
    """Rear frame, two corrugated door leaves, four locking bars with cams and handles, hinges."""
    L = spec.length_mm
    x_end = x0 + L
    parts = _end_frame(x_end - 150.0, x_end, y0, spec, front=False)
    door_lo, door_hi = y0 + 160.0, y0 + 2440.0
    face = x_end - 70.0
    profile = edge_on_corrugated(face, spec.inner_width_mm, 2.0, 30.0)
    parts.append(Part("steel", Columns(face, face + 32.0, door_lo, door_hi, profile)))
    bar_x = x_end - 22.0
    bars = tubes([bar_x], 15.0, 11.0, 4.0)
    parts.append(Part("steel", Columns(bar_x - 15.0, bar_x + 15.0, y0 + 90.0, y0 + 2500.0, bars)))
    for yc in (y0 + 120.0, y0 + 2460.0):  # cams and keepers at both ends of the bars
        parts.append(solid("steel", bar_x - 30.0, bar_x + 25.0, yc - 35.0, yc + 35.0, 4 * 45.0))
    handle_y = y0 + rng.uniform(1000.0, 1350.0)
    parts.append(solid("steel", bar_x - 8.0, bar_x + 22.0, handle_y, handle_y + 260.0, 4 * 12.0))
    for yc in np.linspace(y0 + 400.0, y0 + 2200.0, 4):  # hinges on both door posts
        parts.append(solid("steel", x_end - 40.0, x_end, yc - 40.0, yc + 40.0, 2 * 70.0))
    return parts
