"""Heavy and bulky cargo units: machinery, steel coils and pipes, gas cylinders, reels, tyres, timber, bulk."""

from __future__ import annotations

import numpy as np

from smartinspect.xray.datagen.cargo import INNER_WIDTH, CargoUnit, Slot
from smartinspect.xray.datagen.parts import Box, Part, hollow_box, solid
from smartinspect.xray.datagen.raster import Band, Columns, PeriodicWalls, Radial, Rows, disc, rods, tubes

MACHINE_KINDS = ("machine_block", "engine", "coil", "pipes", "gas_cylinders", "crated_machine")


def machinery(rng: np.random.Generator, slot: Slot, kind: str | None = None) -> CargoUnit | None:
    """One item of machinery or steel products; ``kind`` one of MACHINE_KINDS (random when None)."""
    kind = kind or str(rng.choice(MACHINE_KINDS, p=[0.25, 0.2, 0.12, 0.15, 0.1, 0.18]))
    builders = {"machine_block": _machine_block, "engine": _engine, "coil": _coil, "pipes": _pipes,
                "gas_cylinders": _gas_cylinders, "crated_machine": _crated}
    return builders[kind](rng, slot)


def _skid(x0: float, x1: float, y0: float) -> list[Part]:
    """Two 100 x 100 mm wooden bearers under a machine, running along x (both crossed by the ray)."""
    return [solid("wood", x0, x1, y0, y0 + 100.0, 2 * 100.0)]


def _machine_block(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """A cast or fabricated steel body with through-holes and bores (pump casing, press frame, gearbox)."""
    w, h = rng.uniform(500.0, 1600.0), rng.uniform(400.0, min(1400.0, slot.max_h - 150))
    if slot.max_len < w or h < 300:
        return None
    depth = rng.uniform(400.0, 1200.0)
    fill = rng.uniform(0.12, 0.35)  # castings are mostly walls and ribs
    x0, y0 = slot.x0, slot.y0 + 100.0
    parts = [*_skid(x0, x0 + w, slot.y0), solid("steel", x0, x0 + w, y0, y0 + h, depth * fill)]
    for _ in range(int(rng.integers(1, 6))):
        r = rng.uniform(30.0, 0.3 * min(w, h))
        parts.append(Part("steel", disc(x0 + rng.uniform(r, w - r), y0 + rng.uniform(r, h - r), r, -depth * fill)))
    for _ in range(int(rng.integers(0, 4))):  # stiffening ribs / flanges, crossed edge-on
        yr = y0 + rng.uniform(0, h - 30)
        parts.append(solid("steel", x0, x0 + w, yr, yr + rng.uniform(15, 40), depth * 0.5))
    box = Box(x0, slot.y0, x0 + w, y0 + h)
    return CargoUnit("machinery", "machine_block", box, depth, parts, host=box)


def _engine(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """An engine or gen-set on a steel frame: iron block with bores, head, flywheel, pulleys, alternator."""
    n_cyl = int(rng.choice([4, 6, 8]))
    bore = rng.uniform(80.0, 140.0)
    w = n_cyl * bore * 1.25 + 200
    h = rng.uniform(700.0, 1100.0)
    if slot.max_len < w + 500 or slot.max_h < h + 200:
        return None
    x0, y0, depth = slot.x0, slot.y0 + 150.0, rng.uniform(600.0, 900.0)
    parts = hollow_box("steel", x0, x0 + w + 450, slot.y0, y0, depth=2 * 120.0, wall=8.0, end_wall=0.0)
    parts.append(solid("steel", x0 + 50, x0 + w, y0 + 0.15 * h, y0 + 0.75 * h, depth * 0.45))
    parts.append(solid("steel", x0 + 80, x0 + w - 30, y0 + 0.75 * h, y0 + h, depth * 0.35))
    centres = x0 + 150 + bore * 1.25 * (np.arange(n_cyl) + 0.5)
    bores = rods(centres, bore / 2, -1.0)
    parts.append(Part("steel", Columns(x0 + 50, x0 + w, y0 + 0.45 * h, y0 + 0.75 * h, bores)))
    parts.append(solid("steel", x0 + 80, x0 + w - 60, y0, y0 + 0.15 * h, 2 * 4.0))  # oil pan
    parts.append(Part("steel", disc(x0 + w + 60, y0 + 0.4 * h, 0.38 * h, 80.0)))  # flywheel
    parts.append(Part("copper", disc(x0 + w + 300, y0 + 0.4 * h, 0.3 * h, 0.4 * depth)))  # alternator windings
    parts.append(Part("steel", Radial(x0 + w + 300, y0 + 0.4 * h, ((0.3 * h, 0.33 * h, depth),))))
    parts.append(Part("steel", disc(x0 + 20, y0 + 0.35 * h, 0.12 * h, 60.0)))  # pulley
    box = Box(x0, slot.y0, x0 + w + 450, y0 + h)
    return CargoUnit("machinery", "engine", box, depth, parts, host=box, extra={"cylinders": n_cyl})


def _coil(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """A hot-rolled steel coil, eye across the container (axis along the ray), on timber wedges: opaque."""
    r_out = rng.uniform(450.0, 850.0)
    if slot.max_len < 2 * r_out + 200 or slot.max_h < 2 * r_out + 100:
        return None
    r_in, width = rng.uniform(290.0, 380.0), rng.uniform(900.0, 1600.0)
    xc, yc = slot.x0 + r_out + 100, slot.y0 + r_out + 60
    parts = [Part("steel", Radial(xc, yc, ((r_in, r_out, width),))),
             solid("wood", xc - r_out - 100, xc - 0.5 * r_out, slot.y0, slot.y0 + 220, 2000.0),
             solid("wood", xc + 0.5 * r_out, xc + r_out + 100, slot.y0, slot.y0 + 220, 2000.0)]
    box = Box(slot.x0, slot.y0, xc + r_out + 100, yc + r_out)
    return CargoUnit("machinery", "steel_coil", box, width, parts)


def _pipes(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """A bundle of steel pipes lying along the container, in layers, strapped."""
    length = min(slot.max_len, rng.uniform(2000.0, 6000.0))
    r = rng.uniform(25.0, 110.0)
    wall = rng.uniform(2.5, min(12.0, 0.3 * r))
    n_z = float(np.floor(rng.uniform(800.0, 2200.0) / (2 * r + 5)))
    layers = int(min((slot.max_h - 150) // (2 * r + 5), rng.integers(2, 12)))
    if length < 1500 or layers < 1:
        return None
    y0 = slot.y0 + 100.0
    centres = y0 + (2 * r + 5) * (np.arange(layers) + 0.5)
    prof = tubes(centres, r, r - wall, n_z)
    top = y0 + layers * (2 * r + 5)
    parts = [Part("steel", Rows(slot.x0, slot.x0 + length, y0, top, prof))]
    parts += [solid("wood", x, x + 80, slot.y0, y0, n_z * 2 * r) for x in (slot.x0 + 300, slot.x0 + length - 380)]
    straps = PeriodicWalls(rng.uniform(900.0, 1500.0), 32.0, 2 * 0.9, slot.x0 + 150)
    parts.append(Part("steel", Columns(slot.x0, slot.x0 + length, y0, top, straps)))
    box = Box(slot.x0, slot.y0, slot.x0 + length, top)
    return CargoUnit("machinery", "steel_pipes", box, n_z * 2 * r, parts, extra={"pipe_radius_mm": round(r)})


def _gas_cylinders(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """Gas cylinders (229 mm, 5.7 mm wall) standing in a steel cage pallet, 4-8 across."""
    r, h = 114.5, rng.uniform(1200.0, 1550.0)
    n_x = int(rng.integers(3, 6))
    length = n_x * (2 * r + 10) + 40
    if slot.max_len < length or slot.max_h < h + 250:
        return None
    n_z = float(rng.integers(4, 9))
    x0, y0 = slot.x0, slot.y0 + 100.0
    centres = x0 + 20 + (2 * r + 10) * (np.arange(n_x) + 0.5)
    shell = tubes(centres, r, r - 5.7, n_z)
    parts = [solid("steel", x0, x0 + length, slot.y0, y0, 2 * 8.0),
             Part("steel", Columns(x0 + 20, x0 + length - 20, y0, y0 + h, shell)),
             Part("steel", Columns(x0 + 20, x0 + length - 20, y0 + h, y0 + h + 120,
                                   rods(centres, 25.0, n_z)))]
    parts += hollow_box("steel", x0, x0 + length, slot.y0, y0 + h + 60, depth=n_z * (2 * r + 10), wall=20.0,
                        end_wall=4.0)
    return CargoUnit("machinery", "gas_cylinders", Box(x0, slot.y0, x0 + length, y0 + h + 120), n_z * 2 * r, parts)


def _crated(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """A machine in a plywood crate: crate walls edge-on at the outline, a machine block inside."""
    w, h = rng.uniform(1000.0, 2400.0), rng.uniform(800.0, min(2000.0, slot.max_h - 50))
    if slot.max_len < w or h < 600:
        return None
    depth = rng.uniform(900.0, 2100.0)
    parts = hollow_box("plywood", slot.x0, slot.x0 + w, slot.y0, slot.y0 + h, depth=depth, wall=15.0)
    inner = Slot(slot.x0 + 80, slot.y0 + 15, w - 160, slot.y0 + h - 60)
    machine = _machine_block(rng, inner) if rng.random() < 0.6 else _engine(rng, inner)
    if machine is not None:
        parts += machine.parts
    box = Box(slot.x0, slot.y0, slot.x0 + w, slot.y0 + h)
    return CargoUnit("machinery", "crated_machine", box, depth, parts, host=box)


def reels(rng: np.random.Generator, slot: Slot, kind: str = "paper") -> CargoUnit | None:
    """Paper reels standing on end (``kind`` "paper"), or textile or film rolls lying across the container."""
    if kind == "paper":
        r, h = rng.uniform(400.0, 650.0), min(slot.max_h - 20, rng.uniform(900.0, 1600.0))
        if slot.max_len < 2 * r or h < 600:
            return None
        xc = slot.x0 + r
        n_z = float(np.floor(INNER_WIDTH / (2 * r)))
        prof = tubes([xc], r, 50.0, n_z)  # 100 mm cardboard core
        parts = [Part("paper", Columns(slot.x0, slot.x0 + 2 * r, slot.y0, slot.y0 + h, prof))]
        return CargoUnit("reels", "paper_reels", Box(slot.x0, slot.y0, slot.x0 + 2 * r, slot.y0 + h), n_z * 2 * r,
                         parts)
    r, width = rng.uniform(100.0, 250.0), rng.uniform(1500.0, 2200.0)
    n_x = int(min(slot.max_len // (2 * r + 5), rng.integers(2, 8)))
    n_y = int(min((slot.max_h - 20) // (2 * r + 5), rng.integers(1, 8)))
    if n_x < 1 or n_y < 1:
        return None
    material = kind
    fill = 0.35 if material == "textile" else 0.9
    parts = []
    for j in range(n_y):
        for i in range(n_x):
            xc, yc = slot.x0 + (2 * r + 5) * (i + 0.5), slot.y0 + (2 * r + 5) * (j + 0.5)
            parts.append(Part(material, Radial(xc, yc, ((40.0, r, width * fill),))))
            parts.append(Part("paper", Radial(xc, yc, ((30.0, 40.0, width * BOARD),))))
    box = Box(slot.x0, slot.y0, slot.x0 + n_x * (2 * r + 5), slot.y0 + n_y * (2 * r + 5))
    return CargoUnit("reels", f"{material}_rolls", box, width, parts)


BOARD = 0.5  # cardboard cores: paper at half density


def tyres(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """Car tyres stacked flat: tread (crossed tangentially), sidewalls (edge-on) and steel beads, per tyre."""
    r_out, r_in, width = rng.uniform(290.0, 360.0), rng.uniform(190.0, 240.0), rng.uniform(165.0, 255.0)
    n_x = int(min(slot.max_len // (2 * r_out + 10), rng.integers(1, 5)))
    n_y = int(min((slot.max_h - 20) // width, rng.integers(3, 12)))
    if n_x < 1 or n_y < 1:
        return None
    n_z = float(np.floor(INNER_WIDTH / (2 * r_out + 10)))
    centres = slot.x0 + (2 * r_out + 10) * (np.arange(n_x) + 0.5)
    tread, face = tubes(centres, r_out, r_out - 12, n_z), tubes(centres, r_out - 12, r_in, n_z)
    bead = tubes(centres, r_in + 12, r_in, n_z)
    x1 = slot.x0 + n_x * (2 * r_out + 10)
    parts = []
    for j in range(n_y):
        y0 = slot.y0 + j * width
        parts.append(Part("rubber", Columns(slot.x0, x1, y0, y0 + width, tread)))
        parts.append(Part("steel", Columns(slot.x0, x1, y0 + width - 14, y0 + width - 6, tread)))  # belts
        for ys in (y0, y0 + width - 9):
            parts.append(Part("rubber", Columns(slot.x0, x1, ys, ys + 9, face)))
            parts.append(Part("steel", Columns(slot.x0, x1, ys + 1, ys + 8, bead)))
    box = Box(slot.x0, slot.y0, x1, slot.y0 + n_y * width)
    return CargoUnit("tyres", "car_tyres", box, n_z * 2 * r_out, parts, extra={"stacks_along_x": n_x})


def timber(rng: np.random.Generator, slot: Slot) -> CargoUnit | None:
    """A pack of sawn timber lying along the container, boards in layers, stickers and steel straps."""
    length = min(slot.max_len, rng.uniform(2000.0, 5800.0))
    height = min(slot.max_h - 20, rng.uniform(500.0, 1300.0))
    if length < 1500 or height < 300:
        return None
    depth = rng.uniform(1000.0, 2300.0)
    board = rng.uniform(22.0, 75.0)
    gap = rng.uniform(0.5, 3.0) if rng.random() < 0.6 else 25.0  # solid piled or stickered
    x1, y1 = slot.x0 + length, slot.y0 + 100 + height
    parts = [Part("wood", Rows(slot.x0, x1, slot.y0 + 100, y1, PeriodicWalls(board + gap, board, depth * 0.93,
                                                                            slot.y0 + 100)))]
    parts += [solid("wood", x, x + 100, slot.y0, slot.y0 + 100, depth) for x in (slot.x0 + 200, x1 - 300)]
    straps = PeriodicWalls(rng.uniform(1000.0, 1800.0), 32.0, 2 * 0.9, slot.x0 + 250)
    parts.append(Part("steel", Columns(slot.x0, x1, slot.y0 + 100, y1, straps)))
    return CargoUnit("timber", "sawn_timber", Box(slot.x0, slot.y0, x1, y1), depth, parts)


def bulk(rng: np.random.Generator, slot: Slot, material: str, payload_kg: float) -> CargoUnit | None:
    """Loose bulk (in a liner bag) over the whole slot, filled to the height the payload allows, sloped ends."""
    density = {"grain": 780.0, "ore": 2600.0, "stone": 1600.0}[material]
    fill_z = 0.97 if material != "stone" else 1600.0 / 2600.0  # sand/aggregate: bulk 1.6 t/m³ of stone
    volume = payload_kg / density
    height = min(slot.max_h - 150, volume / (slot.max_len / 1000 * INNER_WIDTH / 1000) * 1000)
    if height < 200:
        return None
    x0, x1 = slot.x0, slot.x0 + slot.max_len
    slope = rng.uniform(0.5, 1.0) * height
    waves = np.convolve(rng.normal(0, 0.05 * height, 40), np.ones(5) / 5, mode="same")  # raked, uneven surface
    span = np.linspace(x0, x1, waves.size)

    def top(x: np.ndarray) -> np.ndarray:
        ramp = np.clip(np.minimum(x - x0, x1 - x) / slope, 0.15, 1.0)
        return slot.y0 + ramp * height + np.interp(x, span, waves)

    parts = [Part(material, Band(x0, x1, lambda x: np.full_like(x, slot.y0), top,
                                 lambda x: np.full_like(x, INNER_WIDTH * fill_z), slot.y0, slot.y0 + 1.3 * height)),
             solid("plastic", x0, x1, slot.y0, slot.y0 + height, 2 * 0.2)]
    box = Box(x0, slot.y0, x1, slot.y0 + height)
    return CargoUnit("bulk", material, box, INNER_WIDTH, parts, host=box, extra={"payload_kg": round(payload_kg)})
