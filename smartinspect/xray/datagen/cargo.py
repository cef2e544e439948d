"""Cargo units that stand on the container floor: pallets of cartons, floor-loaded cartons, tiles, drums, IBCs, bags.

Every builder gets a slot (front x, floor height, the length and height available) and returns one
:class:`CargoUnit` that fits in it, or None when the slot is too small for that kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartinspect.xray.datagen.goods import GOODS, PALLET_HEIGHT, carton_block, carton_walls, goods_parts, pallet_parts
from smartinspect.xray.datagen.parts import Box, Part, hollow_box, solid
from smartinspect.xray.datagen.raster import Band, Columns, PeriodicWalls, Rows, rods, tubes

INNER_WIDTH = 2352.0


@dataclass(frozen=True)
class Slot:
    """Free space for the next unit: x from ``x0`` (up to ``max_len`` mm), from floor ``y0`` up to ``y_max``."""

    x0: float
    y0: float
    max_len: float
    y_max: float

    @property
    def max_h(self) -> float:
        return self.y_max - self.y0


@dataclass
class CargoUnit:
    """One placed unit of cargo. ``host`` is where contraband could be hidden inside it (None: nowhere)."""

    kind: str
    goods: str
    box: Box
    depth: float
    parts: list[Part]
    host: Box | None = None
    extra: dict = field(default_factory=dict)

    def describe(self) -> dict:
        b = self.box
        return {"kind": self.kind, "goods": self.goods, "x_mm": [round(b.x0), round(b.x1)],
                "y_mm": [round(b.y0), round(b.y1)], "depth_mm": round(self.depth), **self.extra}


def palletised(rng: np.random.Generator, slot: Slot, goods_key: str) -> CargoUnit | None:
    """One or two tiers of pallets carrying a block of cartons; one or two pallets across the container."""
    length = float(rng.choice([1200.0, 1000.0, 800.0]))
    if slot.max_len < length or slot.max_h < 600:
        return None
    depth = min(INNER_WIDTH - 50.0, float(rng.choice([1, 2, 2])) * rng.uniform(1000.0, 1200.0))
    tiers = 2 if slot.max_h > 2000 and rng.random() < 0.45 else 1
    tier_h = min((slot.max_h - 30.0) / tiers, rng.uniform(900.0, 1900.0))
    parts, goods = [], GOODS[goods_key]
    y = slot.y0
    for _ in range(tiers):
        parts += pallet_parts(slot.x0, y, length, depth)
        top = Box(slot.x0, y + PALLET_HEIGHT, slot.x0 + length, y + tier_h)
        parts += goods_parts(goods, carton_block(rng, goods, top, depth * 0.97), rng)
        y += tier_h
    box = Box(slot.x0, slot.y0, slot.x0 + length, y)
    return CargoUnit("pallet_cartons", goods_key, box, depth, parts,
                     host=Box(slot.x0, slot.y0 + PALLET_HEIGHT, slot.x0 + length, y))


def floor_loaded(rng: np.random.Generator, slot: Slot, goods_key: str) -> CargoUnit | None:
    """Cartons stacked wall to wall across the container, in a few columns of slightly different heights."""
    length = min(slot.max_len, rng.uniform(900.0, 3600.0))
    if length < 400 or slot.max_h < 500:
        return None
    goods, depth = GOODS[goods_key], INNER_WIDTH - rng.uniform(20.0, 120.0)
    parts, x, top = [], slot.x0, slot.y0
    ends = np.sort(rng.uniform(slot.x0, slot.x0 + length, int(rng.integers(0, 3))))
    for x_end in [*ends, slot.x0 + length]:
        if x_end - x < 250:
            continue
        h = slot.max_h * rng.uniform(0.7, 0.98)
        parts += goods_parts(goods, carton_block(rng, goods, Box(x, slot.y0, x_end, slot.y0 + h), depth), rng)
        x, top = x_end, max(top, slot.y0 + h)
    if not parts:
        return None
    box = Box(slot.x0, slot.y0, x, top)
    return CargoUnit("floor_cartons", goods_key, box, depth, parts, host=box)


def tiles(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """Ceramic tiles lying flat in boxes on a pallet: dense, finely layered (tile 8-11 mm)."""
    length = float(rng.choice([1200.0, 1000.0]))
    if slot.max_len < length or slot.max_h < 600:
        return None
    depth = float(rng.choice([800.0, 1000.0, 1100.0])) * float(rng.choice([1, 2]))
    height = min(slot.max_h - 50.0, rng.uniform(500.0, 1000.0))
    top = Box(slot.x0, slot.y0 + PALLET_HEIGHT, slot.x0 + length, slot.y0 + height)
    tile = rng.uniform(8.0, 11.0)
    box_n = int(rng.integers(5, 11))
    block = carton_block(rng, GOODS["paper"], top, depth)
    block = type(block)(top, depth, rng.uniform(300.0, 610.0), box_n * (tile + 0.6))
    parts = pallet_parts(slot.x0, slot.y0, length, depth) + carton_walls(block, rng, board_mm=1.5)
    parts.append(Part("ceramic", Rows(top.x0, top.x1, top.y0, top.y1, PeriodicWalls(tile + 0.6, tile, depth * 0.95,
                                                                                  top.y0))))
    return CargoUnit("tiles", "ceramic_tiles", Box(slot.x0, slot.y0, top.x1, top.y1), depth, parts)


def drums(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """200 l drums (steel 1.2 mm or HDPE 5 mm) standing on pallets, 2 along x, 2-3 across, 1-2 tiers."""
    r, h = 292.0, 880.0
    if slot.max_len < 4 * r + 40 or slot.max_h < h + PALLET_HEIGHT:
        return None
    n_z = float(rng.choice([2, 3, 4]))
    steel = rng.random() < 0.7
    shell_mat, wall = ("steel", 1.2) if steel else ("plastic", 5.0)
    liquid = str(rng.choice(["water", "oil"]))
    tiers = 2 if slot.max_h > 2 * (h + PALLET_HEIGHT) + 50 and rng.random() < 0.5 else 1
    length = 4 * r + 20.0
    parts, y = [], slot.y0
    centres = (slot.x0 + r + 5.0, slot.x0 + 3 * r + 15.0)
    outer, inner = rods(centres, r, n_z), rods(centres, r - wall, n_z)
    shell, hoops = tubes(centres, r, r - wall, n_z), tubes(centres, r + 8, r + 8 - wall, n_z)
    for _ in range(tiers):
        parts += pallet_parts(slot.x0, y, length, n_z * 2 * r)
        y0 = y + PALLET_HEIGHT
        level = y0 + h * rng.uniform(0.8, 0.95)
        parts.append(Part(shell_mat, Columns(slot.x0, slot.x0 + length, y0, y0 + h, shell)))
        parts.append(Part(liquid, Columns(slot.x0, slot.x0 + length, y0 + wall, level, inner)))
        for yl in (y0, y0 + h - wall):  # heads, crossed edge-on
            parts.append(Part(shell_mat, Columns(slot.x0, slot.x0 + length, yl, yl + wall, outer)))
        for yl in (y0 + h / 3, y0 + 2 * h / 3):  # rolling hoops bulge the shell out by ~8 mm
            parts.append(Part(shell_mat, Columns(slot.x0 - 8, slot.x0 + length + 8, yl, yl + 12.0, hoops)))
        y = y0 + h
    return CargoUnit("drums", liquid, Box(slot.x0, slot.y0, slot.x0 + length, y), n_z * 2 * r, parts,
                     extra={"drum": shell_mat})


def ibc(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """1000 l IBC: HDPE bottle in a galvanised tube cage on a steel pallet, 1-2 across, liquid to a level."""
    length, height, depth1 = 1200.0, 1160.0, 1000.0
    if slot.max_len < length or slot.max_h < height:
        return None
    n = float(rng.choice([1, 2]))
    x0, y0, x1 = slot.x0, slot.y0, slot.x0 + length
    parts = hollow_box("steel", x0, x1, y0, y0 + 140.0, depth=n * depth1 * 0.3, wall=4.0)
    parts += hollow_box("plastic", x0 + 30, x1 - 30, y0 + 145, y0 + height - 40, depth=n * (depth1 - 60), wall=2.0)
    level = y0 + 150 + (height - 200) * rng.uniform(0.2, 0.98)
    parts.append(solid(str(rng.choice(["water", "oil"])), x0 + 32, x1 - 32, y0 + 147, level, n * (depth1 - 64)))
    verticals = np.linspace(x0 + 10, x1 - 10, 7)
    parts.append(Part("steel", Columns(x0, x1, y0 + 140, y0 + height, tubes(verticals, 10.0, 8.5, 2 * n))))
    for yc in np.linspace(y0 + 160, y0 + height - 10, 6):
        parts.append(Part("steel", Rows(x0, x1, yc - 10, yc + 10, tubes([yc], 10.0, 8.5, 2 * n))))
        for xe in (x0, x1 - 20):  # horizontal tubes on the end faces run along the ray
            parts.append(solid("steel", xe, xe + 20, yc - 10, yc + 10, n * depth1 * 0.25))
    return CargoUnit("ibc", "liquid", Box(x0, y0, x1, y0 + height), n * depth1, parts)


BIGBAG_FILLS = {"plastic": 0.6, "stone": 0.58, "grain": 0.95}  # pellets, sand, grain: solid fraction in the bag


def bigbags(rng: np.random.Generator, slot: Slot, material: str | None = None) -> CargoUnit | None:
    """FIBC bulk bags (~1 m cube, rounded top) of ``material`` (plastic pellets, sand, grain; random when None),
    two across, 1-2 along x."""
    size = rng.uniform(850.0, 1000.0)
    n_x = 2 if slot.max_len > 2 * size + 20 and rng.random() < 0.6 else 1
    if slot.max_len < size or slot.max_h < size + 100:
        return None
    material = material or str(rng.choice(list(BIGBAG_FILLS)))
    fill = BIGBAG_FILLS[material]
    parts = []
    for i in range(n_x):
        xa = slot.x0 + i * (size + 10)
        xc, h = xa + size / 2, size * rng.uniform(0.95, 1.15)
        bulge = rng.uniform(60.0, 150.0)

        def thickness(x: np.ndarray, xc: float = xc) -> np.ndarray:
            u = np.clip(2 * np.abs(x - xc) / size, 0, 1)
            return 2 * size * fill * np.sqrt(np.clip(1 - u**6, 0, 1))

        top = lambda x, xc=xc, h=h, b=bulge: slot.y0 + h - b * (2 * (x - xc) / size) ** 2  # noqa: E731
        parts.append(Part(material, Band(xa, xa + size, lambda x: np.full_like(x, slot.y0), top, thickness,
                                         slot.y0, slot.y0 + h)))
    box = Box(slot.x0, slot.y0, slot.x0 + n_x * (size + 10), slot.y0 + size * 1.15)
    return CargoUnit("bigbags", material, box, 2 * size, parts, host=box)
