"""Clutter: the everyday dense objects that real cargo is full of, at any orientation, inside and between units.

Real container scans are dense: tools in a consolidated load, spare parts, bottles, cables, a power drill whose
motor, chuck and battery outline a pistol. A detector trained on clean blocks of cartons learns "a dark compact
shape is a threat"; these confusers make it learn the threat's own shape and material instead. Each object is a
set of flat polygon pieces (material, outline in mm, path across the ray in mm), rotated at random and dropped into
a cargo unit or on the floor. Dimensions are those of common products (catalogue sizes, rounded).
"""

from __future__ import annotations

import math

import numpy as np

from smartinspect.xray.datagen.cargo import CargoUnit
from smartinspect.xray.datagen.parts import Box, Outline, Polygon
from smartinspect.xray.datagen.threats import center_in

MAX_ITEMS = 30  # per scan


def _rect(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _ellipse(xc: float, yc: float, rx: float, ry: float, n: int = 18) -> Polygon:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return list(zip(xc + rx * np.cos(a), yc + ry * np.sin(a), strict=True))


def _ring(rng: np.random.Generator, material: str, r_out: tuple[float, float], wall: float, t: float) -> Outline:
    r = rng.uniform(*r_out)
    return Outline([(material, _ellipse(0, 0, r, r), t), (material, _ellipse(0, 0, r - wall, r - wall), -t)])


def wrench(rng: np.random.Generator) -> Outline:
    length, w = rng.uniform(180, 320), rng.uniform(18, 28)
    t = rng.uniform(7, 12)
    return Outline([("steel", _rect(0, 0, length, w), t), ("steel", _ellipse(0, w / 2, 1.3 * w, 1.3 * w), t + 3),
                    ("steel", _rect(length - 1.2 * w, -0.6 * w, length + 0.8 * w, 1.6 * w), t + 2)])


def hammer(rng: np.random.Generator) -> Outline:
    length = rng.uniform(280, 360)
    head = rng.uniform(90, 130)
    handle = "wood" if rng.random() < 0.5 else "plastic"
    return Outline([(handle, _rect(0, -15, length, 15), 30.0), ("steel", _rect(length - 28, -head / 2, length, head / 2), 28.0)])


def power_drill(rng: np.random.Generator) -> Outline:
    """Pistol-shaped: a body with a copper-wound motor and a steel chuck, a grip, a battery pack at the bottom."""
    body, height = rng.uniform(170, 230), rng.uniform(55, 70)
    grip = rng.uniform(100, 130)
    lean = math.tan(math.radians(rng.uniform(5, 18)))
    y0 = grip
    pieces = [("plastic", _rect(0, y0, body, y0 + height), 60.0),
              ("copper", _rect(0.25 * body, y0 + 0.2 * height, 0.6 * body, y0 + 0.8 * height), 18.0),
              ("steel", _rect(0.6 * body, y0 + 0.25 * height, 0.75 * body, y0 + 0.75 * height), 20.0),
              ("steel", _rect(body, y0 + 0.3 * height, body + rng.uniform(40, 60), y0 + 0.7 * height), 30.0),
              ("plastic", [(0.25 * body, y0), (0.45 * body, y0), (0.45 * body - grip * lean, 0),
                           (0.25 * body - grip * lean, 0)], 45.0)]
    if rng.random() < 0.7:  # battery pack: lithium cells in a plastic case
        x = 0.2 * body - grip * lean
        pieces += [("plastic", _rect(x - 20, -65, x + 95, 0), 75.0), ("steel", _rect(x - 10, -55, x + 85, -10), 8.0)]
    return Outline(pieces)


def heat_gun(rng: np.random.Generator) -> Outline:
    """Also pistol-shaped, mostly plastic, with a heating coil (nichrome, as steel) and a small motor."""
    body = rng.uniform(200, 260)
    return Outline([("plastic", _rect(0, 110, body, 180), 70.0), ("steel", _rect(0.55 * body, 125, body, 165), 6.0),
                    ("copper", _rect(0.1 * body, 125, 0.35 * body, 165), 15.0),
                    ("plastic", [(0.15 * body, 110), (0.35 * body, 110), (0.3 * body, 0), (0.1 * body, 0)], 45.0)])


def bracket(rng: np.random.Generator) -> Outline:
    a, b, w = rng.uniform(100, 250), rng.uniform(60, 200), rng.uniform(30, 60)
    t = rng.uniform(4, 8)
    return Outline([("steel", _rect(0, 0, a, t * 1.0), w), ("steel", _rect(0, 0, t * 1.0, b), w)])


def steel_bar(rng: np.random.Generator) -> Outline:
    """Rebar, a shaft or a length of pipe: long and thin, like a rifle barrel seen from the side."""
    length, d = rng.uniform(400, 1100), rng.uniform(12, 35)
    return Outline([("steel", _rect(0, 0, length, d), d * (0.45 if rng.random() < 0.4 else 1.0))])


def bottle(rng: np.random.Generator) -> Outline:
    h, r = rng.uniform(200, 320), rng.uniform(35, 50)
    return Outline([("glass", _rect(-r, 0, r, h), 2 * 4.0), ("water", _rect(-r + 4, 4, r - 4, 0.8 * h), 2 * r - 8),
                    ("glass", _rect(-r / 3, h, r / 3, h + 0.3 * h), 2 * r / 3)])


def laptop(rng: np.random.Generator) -> Outline:
    w, d = rng.uniform(300, 380), rng.uniform(18, 25)
    return Outline([("aluminium", _rect(0, 0, w, d), 230.0), ("steel", _rect(0.1 * w, 3, 0.5 * w, d - 3), 60.0),
                    ("copper", _rect(0.55 * w, 4, 0.9 * w, d - 4), 20.0)])


def brake_disc(rng: np.random.Generator) -> Outline:
    return _ring(rng, "steel", (130, 170), rng.uniform(45, 70), rng.uniform(20, 28))


def cable_coil(rng: np.random.Generator) -> Outline:
    return _ring(rng, "copper", (90, 160), rng.uniform(20, 40), rng.uniform(15, 40))


def padlock_chain(rng: np.random.Generator) -> Outline:
    n, link = int(rng.integers(4, 12)), rng.uniform(25, 40)
    pieces = [("steel", _ellipse(i * 0.8 * link, 0, link / 2, link / 3), 8.0) for i in range(n)]
    pieces += [("steel", _ellipse(i * 0.8 * link, 0, link / 2 - 6, link / 3 - 6), -8.0) for i in range(n)]
    return Outline(pieces)


ITEMS = {"wrench": (wrench, 0.14), "hammer": (hammer, 0.08), "power_drill": (power_drill, 0.1),
         "heat_gun": (heat_gun, 0.05), "bracket": (bracket, 0.12), "steel_bar": (steel_bar, 0.1),
         "bottle": (bottle, 0.12), "laptop": (laptop, 0.06), "brake_disc": (brake_disc, 0.08),
         "cable_coil": (cable_coil, 0.08), "chain": (padlock_chain, 0.07)}


def place_clutter(rng: np.random.Generator, units: list[CargoUnit], interior: Box, *,
                  per_unit: float) -> list[CargoUnit]:
    """Confusers for a loaded container: Poisson(``per_unit`` x units) objects (at most MAX_ITEMS), each at a random
    angle inside a random unit (its whole box: between cartons, on pallets) or, one in five, on the floor; a third
    of them come in a cluster around the previous one (a toolbox, a box of spares)."""
    if not units or per_unit <= 0:
        return []
    names = list(ITEMS)
    weights = np.array([ITEMS[n][1] for n in names])
    count = min(MAX_ITEMS, int(rng.poisson(per_unit * len(units))))
    placed: list[CargoUnit] = []
    for _ in range(count):
        name = names[int(rng.choice(len(names), p=weights / weights.sum()))]
        outline = ITEMS[name][0](rng)
        angle = float(rng.uniform(0.0, 360.0))
        half = outline.half_extent(angle)
        if placed and rng.random() < 0.33:
            prev = placed[-1].box
            near = Box(prev.x0 - 150, prev.y0 - 100, prev.x1 + 150, prev.y1 + 100)
            centre = center_in(rng, near, half, interior)
        elif rng.random() < 0.8:
            host = units[int(rng.integers(len(units)))].box
            centre = center_in(rng, host, half, interior)
        else:
            centre = center_in(rng, Box(interior.x0, interior.y0, interior.x1, interior.y0 + 2 * half[1] + 4), half,
                             interior)
        box = Box(centre[0] - half[0], centre[1] - half[1], centre[0] + half[0], centre[1] + half[1])
        depth = max(abs(t) for _, _, t in outline.pieces)
        placed.append(CargoUnit("clutter", name, box, depth, outline.place(centre, angle), host=None,
                                extra={"angle_deg": round(angle, 1)}))
    return placed
