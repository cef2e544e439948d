"""Where contraband goes: concealed compartments are planned before loading (they change the floor), the other
threats are hidden afterwards in the cargo, in pallets, or left loose in a container declared empty."""

from __future__ import annotations

import numpy as np

from smartinspect.xray.datagen.cargo import INNER_WIDTH, CargoUnit
from smartinspect.xray.datagen.contraband import (
    case_grid,
    cigarette_block,
    drug_pack,
    false_floor_parts,
    false_wall_parts,
)
from smartinspect.xray.datagen.goods import PALLET_HEIGHT, pallet_parts
from smartinspect.xray.datagen.layout import Zone
from smartinspect.xray.datagen.parts import CLASS_NAMES, Box, Outline, Threat
from smartinspect.xray.datagen.weapons import firearm_outline

REPLACEABLE = ("pallet_cartons", "floor_cartons", "loose_cartons", "drums", "bigbags", "tiles")
CARTON_KINDS = ("pallet_cartons", "floor_cartons", "loose_cartons")


def check_class_names(names: list[str]) -> None:
    bad = [n for n in names if n not in CLASS_NAMES]
    if bad:
        raise ValueError(f"unknown threat class(es) {bad}; valid: {list(CLASS_NAMES)}")


def sample_threat_classes(rng: np.random.Generator, weights: dict[str, float]) -> list[str]:
    """1-3 threat classes (at most one concealment), drawn with ``weights`` per class name."""
    n = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
    names = list(weights)
    p = np.array([weights[k] for k in names], float)
    chosen = [names[int(rng.choice(len(names), p=p / p.sum()))] for _ in range(n)]
    first = chosen.index("concealment") if "concealment" in chosen else -1
    return [c for i, c in enumerate(chosen) if c != "concealment" or i == first]


def plan_concealment(rng: np.random.Generator, interior: Box) -> tuple[Threat, list[Zone]]:
    """A false wall or false floor (the label box is the cavity) and the floor zones left for cargo."""
    if rng.random() < 0.55:
        cavity = Box(interior.x0, interior.y0, interior.x0 + rng.uniform(300.0, 700.0), interior.y1)
        parts, info = false_wall_parts(rng, cavity, INNER_WIDTH)
        threat = Threat(CLASS_NAMES.index("concealment"), "false_wall", parts, info)
        return threat, [Zone(cavity.x1 + rng.uniform(5.0, 50.0), interior.x1, interior.y0)]
    length = min(interior.width - 200.0, rng.uniform(1500.0, 4000.0))
    xa = rng.uniform(interior.x0, interior.x1 - length)
    cavity = Box(xa, interior.y0, xa + length, interior.y0 + rng.uniform(100.0, 250.0))
    parts, info = false_floor_parts(rng, cavity, INNER_WIDTH)
    threat = Threat(CLASS_NAMES.index("concealment"), "false_floor", parts, info)
    zones = [Zone(interior.x0, xa, interior.y0), Zone(xa, cavity.x1, cavity.y1), Zone(cavity.x1, interior.x1,
                                                                                      interior.y0)]
    return threat, [z for z in zones if z.x1 - z.x0 > 300.0]


def place_threats(rng: np.random.Generator, classes: list[str], units: list[CargoUnit], interior: Box,
                  ) -> list[Threat]:
    """Hide one threat per class name (concealment excluded) among ``units``; may replace a unit by cigarettes."""
    threats = []
    for name in sorted(classes, key=lambda n: n != "cigarettes"):  # a cigarette pallet may replace a host
        if name == "firearm":
            threats.append(_firearm(rng, units, interior))
        elif name == "drugs":
            threats.append(_drugs(rng, units, interior))
        elif name == "cigarettes":
            threats.append(_cigarettes(rng, units, interior))
    return threats


def _hosts(units: list[CargoUnit], kinds: tuple[str, ...] | None = None) -> list[CargoUnit]:
    return [u for u in units if u.host is not None and (kinds is None or u.kind in kinds)]


def center_in(rng: np.random.Generator, box: Box, half: tuple[float, float], interior: Box,
               ) -> tuple[float, float]:
    """A random centre keeping a (2 half[0] x 2 half[1]) object inside ``box`` where it fits, and always inside the
    container ``interior``."""
    hw, hh = half
    x = rng.uniform(box.x0 + hw, box.x1 - hw) if box.width > 2 * hw else 0.5 * (box.x0 + box.x1)
    y = rng.uniform(box.y0 + hh, box.y1 - hh) if box.height > 2 * hh else box.y0 + hh
    x = float(np.clip(x, interior.x0 + hw, max(interior.x0 + hw, interior.x1 - hw)))
    y = float(np.clip(y, interior.y0 + hh, max(interior.y0 + hh, interior.y1 - hh)))
    return x, y


def _on_floor(rng: np.random.Generator, interior: Box, half: tuple[float, float]) -> tuple[float, float]:
    x = rng.uniform(interior.x0 + half[0] + 50, max(interior.x0 + half[0] + 51, interior.x1 - half[0] - 50))
    return x, interior.y0 + half[1] + 2.0


def _hide(rng: np.random.Generator, outline: Outline, angle: float, units: list[CargoUnit], interior: Box,
          ) -> tuple[list, str]:
    """Place ``outline`` inside a random cargo unit (90 %) or loose on the floor; returns (parts, where)."""
    half = outline.half_extent(angle)
    hosts = _hosts(units)
    if hosts and rng.random() < 0.9:
        host = hosts[int(rng.integers(len(hosts)))]
        return outline.place(center_in(rng, host.host, half, interior), angle), f"{host.kind}:{host.goods}"
    return outline.place(_on_floor(rng, interior, half), angle), "loose"


def _firearm(rng: np.random.Generator, units: list[CargoUnit], interior: Box) -> Threat:
    subtype = "pistol" if rng.random() < 0.7 else "rifle"
    outline = firearm_outline(rng, subtype)
    if subtype == "rifle" and rng.random() < 0.7:
        angle = rng.uniform(-20.0, 20.0) + float(rng.choice([0.0, 180.0]))
    else:
        angle = rng.uniform(0.0, 360.0)
    parts, where = _hide(rng, outline, angle, units, interior)
    return Threat(CLASS_NAMES.index("firearm"), subtype, parts, {**outline.info, "angle_deg": round(angle, 1),
                                                                  "hidden_in": where})


def _drugs(rng: np.random.Generator, units: list[CargoUnit], interior: Box) -> Threat:
    pallets = [u for u in units if u.kind in ("pallet_cartons", "tiles", "drums")]
    if pallets and rng.random() < 0.3:
        unit = pallets[int(rng.integers(len(pallets)))]
        per_row = max(1, int(min(unit.box.width, 1200.0) // 310.0))
        outline = drug_pack(rng, int(rng.integers(1, per_row + 1)) * int(rng.integers(1, 3)), flat=True)
        half = outline.half_extent(0.0)
        slot = Box(unit.box.x0, unit.box.y0 + 22.0, unit.box.x0 + min(unit.box.width, 1200.0), unit.box.y0 + 100.0)
        parts, where = outline.place(center_in(rng, slot, half, interior), 0.0), f"pallet:{unit.goods}"
    else:
        outline = drug_pack(rng, int(rng.integers(2, 21)))
        angle = float(rng.choice([0.0, 90.0])) + rng.uniform(-4.0, 4.0)
        parts, where = _hide(rng, outline, angle, units, interior)
    return Threat(CLASS_NAMES.index("drugs"), "brick_pack", parts, {**outline.info, "hidden_in": where})


def _cigarettes(rng: np.random.Generator, units: list[CargoUnit], interior: Box) -> Threat:
    grid = case_grid(rng)
    replaceable = [u for u in units if u.kind in REPLACEABLE and u.box.width >= grid.case_w]
    cartons = _hosts(units, CARTON_KINDS)
    cls = CLASS_NAMES.index("cigarettes")
    if replaceable and (rng.random() < 0.5 or not cartons):
        unit = replaceable[int(rng.integers(len(replaceable)))]
        units.remove(unit)
        n_x = int(min(unit.box.width, 1250.0) // grid.case_w)
        depth = min(INNER_WIDTH - 50.0, float(rng.choice([1, 2])) * rng.uniform(1000.0, 1200.0))
        n_y = int(min((interior.y1 - unit.box.y0 - PALLET_HEIGHT - 60.0) // grid.case_h, rng.integers(2, 6)))
        length = n_x * grid.case_w
        block = Box(unit.box.x0, unit.box.y0 + PALLET_HEIGHT, unit.box.x0 + length, unit.box.y0 + PALLET_HEIGHT
                    + n_y * grid.case_h)
        pallet = Box(unit.box.x0, unit.box.y0, unit.box.x0 + max(length, 800.0), unit.box.y0 + PALLET_HEIGHT)
        units.append(CargoUnit("pallet", "pallet", pallet, depth, pallet_parts(pallet.x0, pallet.y0, pallet.width,
                                                                                depth)))
        parts = cigarette_block(rng, block, depth, grid)
        return Threat(cls, "cigarette_pallet", parts, {"cases": n_x * n_y * round(depth / grid.case_d),
                                                       "replaces": unit.goods})
    n_x, n_y = int(rng.integers(1, 3)), int(min(rng.integers(1, 4), interior.height // grid.case_h))
    depth = grid.case_d * int(rng.integers(1, 5))
    size = (n_x * grid.case_w / 2, n_y * grid.case_h / 2)
    if cartons:
        host = cartons[int(rng.integers(len(cartons)))]
        (xc, yc), where = center_in(rng, host.host, size, interior), f"{host.kind}:{host.goods}"
    else:
        (xc, yc), where = _on_floor(rng, interior, size), "loose"
    block = Box(xc - size[0], yc - size[1], xc + size[0], yc + size[1])
    parts = cigarette_block(rng, block, depth, grid)
    return Threat(cls, "cigarette_cases", parts, {"cases": n_x * n_y * round(depth / grid.case_d), "hidden_in": where})
