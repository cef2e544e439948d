"""Loading plans: what a container carries, where each unit stands, and what the declaration says.

A plan picks a scenario (e.g. palletised garments, machinery, bulk grain), then walks along the container from
the front wall placing units until the fill length is reached. Floor zones let a false floor raise the loading
level over part of the length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smartinspect.xray.datagen import cargo, heavy
from smartinspect.xray.datagen.cargo import CargoUnit, Slot
from smartinspect.xray.datagen.goods import GOODS, carton_block, goods_parts
from smartinspect.xray.datagen.parts import Box

CARTON_GOODS = tuple(GOODS)
ROOF_CLEARANCE = 40.0  # mm kept free under the roof


@dataclass(frozen=True)
class Zone:
    """A stretch of floor [x0, x1] at height ``floor_y`` (raised over a false floor)."""

    x0: float
    x1: float
    floor_y: float


@dataclass
class CargoPlan:
    """The units placed and the goods description a shipper would declare for them."""

    units: list[CargoUnit]
    declared: str
    scenario: str


UnitMaker = Callable[[np.random.Generator, Slot], CargoUnit | None]


def loose_cartons(rng: np.random.Generator, slot: Slot, goods_key: str) -> CargoUnit | None:
    """A small pile of cartons (1-4 high), not wall to wall."""
    goods = GOODS[goods_key]
    length = min(slot.max_len, rng.uniform(350.0, 1300.0))
    height = min(slot.max_h, rng.uniform(1, 4.5) * rng.uniform(*goods.carton_mm[2:]))
    if length < 250 or height < 150:
        return None
    depth = rng.uniform(400.0, 1600.0)
    box = Box(slot.x0, slot.y0, slot.x0 + length, slot.y0 + height)
    parts = goods_parts(goods, carton_block(rng, goods, box, depth), rng)
    return CargoUnit("loose_cartons", goods_key, box, depth, parts, host=box)


def _goods_maker(kind: str, goods_key: str) -> UnitMaker:
    builders = {"pallet_cartons": cargo.palletised, "floor_cartons": cargo.floor_loaded, "loose": loose_cartons}
    return lambda rng, slot: builders[kind](rng, slot, goods_key)


def _choice(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return str(options[int(rng.integers(len(options)))])


def _goods_keys(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` different carton goods."""
    return [str(k) for k in rng.choice(CARTON_GOODS, size=n, replace=False)]


def _scenario_makers(rng: np.random.Generator, name: str, container_len: float) -> tuple[list[UnitMaker], str]:
    """Unit makers (each unit picks one at random) and the declared description for scenario ``name``."""
    if name in ("cartons", "pallets"):
        keys = _goods_keys(rng, 1 + int(rng.random() < 0.3))
        kind = "floor_cartons" if name == "cartons" else "pallet_cartons"
        return [_goods_maker(kind, k) for k in keys], ", ".join(_choice(rng, GOODS[k].descriptions) for k in keys)
    if name == "mixed":
        keys = _goods_keys(rng, int(rng.integers(2, 5)))
        makers = [_goods_maker(str(rng.choice(["pallet_cartons", "floor_cartons", "loose"])), k) for k in keys]
        labels = [_choice(rng, GOODS[k].descriptions) for k in keys]
        extras = [(cargo.drums, "OIL IN DRUMS"), (cargo.bigbags, "GRANULES IN BIG BAGS"), (heavy.tyres, "CAR TYRES"),
                  (cargo.ibc, "LIQUID IN IBC")][: int(rng.integers(0, 3))]
        makers += [maker for maker, _ in extras]
        return makers, "CONSOLIDATED CARGO: " + ", ".join(labels + [label for _, label in extras])
    if name == "machinery":
        kind = str(rng.choice(heavy.MACHINE_KINDS))
        labels = {"machine_block": "INDUSTRIAL PUMPS AND GEARBOXES", "engine": "DIESEL ENGINES AND GENERATOR SETS",
                  "coil": "HOT ROLLED STEEL COILS", "pipes": "SEAMLESS STEEL PIPES",
                  "gas_cylinders": "EMPTY INDUSTRIAL GAS CYLINDERS", "crated_machine": "MACHINERY IN CRATES"}
        makers: list[UnitMaker] = [lambda r, s: heavy.machinery(r, s, kind)]
        if rng.random() < 0.4:
            makers.append(_goods_maker("pallet_cartons", "hardware"))
        return makers, labels[kind]
    if name == "liquids":
        if rng.random() < 0.5:
            return [cargo.drums], _choice(rng, ("LUBRICATING OIL IN DRUMS", "FOOD GRADE GLYCERINE IN DRUMS"))
        return [cargo.ibc], _choice(rng, ("LIQUID FERTILISER IN IBC", "NON-HAZARDOUS DETERGENT IN IBC"))
    if name == "bigbags":
        material, label = [("plastic", "PLASTIC PELLETS IN BIG BAGS"), ("stone", "SILICA SAND IN BIG BAGS"),
                           ("grain", "MALTING BARLEY IN BIG BAGS")][int(rng.integers(3))]
        return [lambda r, s: cargo.bigbags(r, s, material)], label
    if name == "reels":
        kind, label = [("paper", "NEWSPRINT PAPER REELS"), ("textile", "TEXTILE FABRIC ROLLS"),
                       ("plastic", "PLASTIC FILM ROLLS")][int(rng.integers(3))]
        return [lambda r, s: heavy.reels(r, s, kind)], label
    simple: dict[str, tuple[UnitMaker, tuple[str, ...]]] = {
        "tiles": (cargo.tiles, ("CERAMIC FLOOR TILES", "PORCELAIN WALL TILES")),
        "tyres": (heavy.tyres, ("NEW PASSENGER CAR TYRES",)),
        "timber": (heavy.timber, ("SAWN PINE TIMBER", "KILN DRIED OAK BOARDS")),
    }
    maker, labels = simple[name]
    return [maker], _choice(rng, labels)


SCENARIOS = {"cartons": 0.24, "pallets": 0.2, "mixed": 0.14, "machinery": 0.1, "liquids": 0.07, "bulk": 0.06,
             "bigbags": 0.04, "tiles": 0.05, "reels": 0.04, "tyres": 0.03, "timber": 0.03}
BULK_DECLARED = {"grain": "WHEAT IN BULK (LINER BAG)", "ore": "IRON ORE FINES", "stone": "CRUSHED LIMESTONE"}


def plan_cargo(rng: np.random.Generator, zones: list[Zone], roof_y: float, *, container_len: float,
               scenario: str | None = None, second_lane_fraction: float = 0.0) -> CargoPlan:
    """Load the container's floor ``zones`` (front to back) for one scenario; ``roof_y`` is the roof underside.

    ``second_lane_fraction``: the share of units that get a second unit beside them across the container's width
    (a consolidated load: other goods behind, overlapping in the side view), where the two depths fit."""
    names = list(SCENARIOS)
    weights = np.array(list(SCENARIOS.values()))
    name = scenario or names[int(rng.choice(len(names), p=weights / weights.sum()))]
    if name == "bulk":
        return _plan_bulk(rng, zones, roof_y, container_len)
    makers, declared = _scenario_makers(rng, name, container_len)
    fill = rng.uniform(0.35, 1.0) if rng.random() < 0.6 else 1.0
    end = zones[0].x0 + fill * (zones[-1].x1 - zones[0].x0)
    units = []
    for zone in zones:
        units += _fill_zone(rng, zone, min(end, zone.x1), roof_y, makers, second_lane_fraction)
    return CargoPlan(units, declared, name)


def _fill_zone(rng: np.random.Generator, zone: Zone, end: float, roof_y: float,
               makers: list[UnitMaker], second_lane_fraction: float = 0.0) -> list[CargoUnit]:
    units, x, failures = [], zone.x0 + rng.uniform(0.0, 40.0), 0
    while x < end - 250.0 and failures < 6:
        slot = Slot(x, zone.floor_y, zone.x1 - x, roof_y - ROOF_CLEARANCE)
        unit = makers[int(rng.integers(len(makers)))](rng, slot)
        if unit is None or unit.box.x1 > zone.x1 + 1.0:
            failures += 1
            continue
        units.append(unit)
        right = unit.box.x1
        if second_lane_fraction > 0 and rng.random() < second_lane_fraction:
            beside = _beside(rng, slot, unit, zone, makers)
            if beside is not None:
                units.append(beside)
                right = max(right, beside.box.x1)
        x = right + (rng.uniform(0.0, 60.0) if rng.random() < 0.8 else rng.uniform(100.0, 600.0))
    return units


def _beside(rng: np.random.Generator, slot: Slot, unit: CargoUnit, zone: Zone,
            makers: list[UnitMaker]) -> CargoUnit | None:
    """A second unit in the same stretch of floor, across the width from ``unit``, if its depth fits there."""
    room = cargo.INNER_WIDTH - unit.depth - 30.0
    if room < 350.0:
        return None
    for _ in range(2):
        other = makers[int(rng.integers(len(makers)))](rng, Slot(slot.x0 + rng.uniform(0.0, 300.0), slot.y0,
                                                                 max(slot.max_len - 300.0, 0.0), slot.y_max))
        if other is not None and other.depth <= room and other.box.x1 <= zone.x1 + 1.0:
            return other
    return None


def _plan_bulk(rng: np.random.Generator, zones: list[Zone], roof_y: float, container_len: float) -> CargoPlan:
    material = str(rng.choice(["grain", "ore", "stone"], p=[0.6, 0.2, 0.2]))
    payload = rng.uniform(0.7, 1.0) * (21_700.0 if container_len < 7000 else 26_500.0)
    units = []
    total = sum(z.x1 - z.x0 for z in zones)
    for zone in zones:
        slot = Slot(zone.x0, zone.floor_y, zone.x1 - zone.x0, roof_y - ROOF_CLEARANCE)
        unit = heavy.bulk(rng, slot, material, payload * (zone.x1 - zone.x0) / total)
        if unit is not None:
            units.append(unit)
    return CargoPlan(units, BULK_DECLARED[material], "bulk")


def plan_stray_items(rng: np.random.Generator, zones: list[Zone], roof_y: float) -> list[CargoUnit]:
    """A few undeclared cartons left in a container declared empty."""
    units = []
    for _ in range(int(rng.integers(1, 4))):
        zone = zones[int(rng.integers(len(zones)))]
        x = rng.uniform(zone.x0, max(zone.x0 + 1.0, zone.x1 - 1400.0))
        unit = loose_cartons(rng, Slot(x, zone.floor_y, zone.x1 - x, roof_y - ROOF_CLEARANCE),
                             _choice(rng, CARTON_GOODS))
        if unit is not None and not any(_overlaps(unit.box, u.box) for u in units):
            units.append(unit)
    return units


def _overlaps(a: Box, b: Box) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
