"""Packaged goods: cartons of a commodity, stacked in blocks, on pallets or floor-loaded.

A carton block is a grid of identical cartons seen side-on: carton walls (corrugated board) give the coarse grid,
the contents give the texture. ``depth`` is the block's extent along the ray (across the container), so every path
through contents and walls scales with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.xray.datagen.materials import CARDBOARD_DENSITY, MATERIALS
from smartinspect.xray.datagen.parts import Box, Part, solid
from smartinspect.xray.datagen.raster import Cells, Columns, Field, PeriodicWalls, Rows, disc, rods, tubes

BOARD_TO_PAPER = CARDBOARD_DENSITY / MATERIALS["paper"].density


@dataclass(frozen=True)
class Goods:
    """A commodity as packed in cartons. ``fill`` is the volume fraction of a carton taken by ``material``."""

    key: str
    material: str
    fill: tuple[float, float]
    pattern: str  # "bulk" | "cylinders" | "layers" | "pieces"
    carton_mm: tuple[float, float, float, float]  # width lo/hi, height lo/hi
    descriptions: tuple[str, ...]
    shell: str = ""  # cylinders: container material (glass bottle, steel can)
    radius_mm: tuple[float, float] = (0.0, 0.0)  # cylinders: radius; layers: (pitch, thickness)
    pieces: tuple[str, ...] = ()  # pieces: dense materials among the contents


GOODS: dict[str, Goods] = {g.key: g for g in (
    Goods("garments", "textile", (0.12, 0.25), "bulk", (400, 600, 250, 450),
          ("COTTON T-SHIRTS", "LADIES GARMENTS", "BED LINEN", "KNITTED JUMPERS", "DENIM TROUSERS")),
    Goods("footwear", "textile", (0.06, 0.12), "layers", (450, 650, 280, 400),
          ("SPORTS SHOES", "LEATHER FOOTWEAR", "RUBBER BOOTS"), shell="rubber", radius_mm=(110.0, 25.0)),
    Goods("paper", "paper", (0.55, 0.85), "bulk", (300, 450, 200, 320),
          ("PRINTED BOOKS", "COPY PAPER A4", "PAPER LABELS")),
    Goods("tissue", "paper", (0.08, 0.15), "bulk", (400, 600, 300, 500), ("PAPER NAPKINS", "TOILET TISSUE")),
    Goods("plastics", "plastic", (0.05, 0.14), "bulk", (400, 650, 300, 500),
          ("PLASTIC HOUSEWARES", "TOYS", "PLASTIC STORAGE BOXES", "PET PREFORMS")),
    Goods("beverages", "water", (0.85, 0.95), "cylinders", (240, 330, 250, 320),
          ("BOTTLED WINE", "MINERAL WATER", "BEER IN GLASS BOTTLES", "OLIVE OIL"), shell="glass",
          radius_mm=(33.0, 42.0)),
    Goods("canned_food", "water", (0.85, 0.95), "cylinders", (300, 420, 110, 130),
          ("CANNED TOMATOES", "CANNED TUNA", "CANNED PEACHES"), shell="steel", radius_mm=(36.0, 42.0)),
    Goods("food", "water", (0.45, 0.75), "bulk", (350, 500, 200, 300),
          ("FROZEN CHICKEN", "FRESH APPLES", "ONIONS", "FROZEN FISH FILLETS")),
    Goods("dry_food", "grain", (0.8, 0.95), "bulk", (400, 600, 150, 250),
          ("RICE IN BAGS", "WHITE SUGAR", "WHEAT FLOUR", "DRIED BEANS")),
    Goods("electronics", "plastic", (0.05, 0.1), "pieces", (450, 900, 350, 700),
          ("LED TELEVISIONS", "COMPUTER PARTS", "SMALL KITCHEN APPLIANCES", "WASHING MACHINES"),
          pieces=("steel", "copper", "aluminium")),
    Goods("hardware", "steel", (0.03, 0.08), "pieces", (250, 400, 200, 300),
          ("HAND TOOLS", "BOLTS AND NUTS", "AUTO SPARE PARTS", "DOOR HINGES"), pieces=("steel", "steel", "rubber")),
    Goods("glassware", "glass", (0.06, 0.14), "bulk", (400, 550, 300, 400),
          ("GLASSWARE", "CERAMIC TABLEWARE", "PORCELAIN MUGS")),
    Goods("furniture", "wood", (0.08, 0.18), "layers", (600, 1200, 150, 400),
          ("FLAT-PACK FURNITURE", "KITCHEN CABINETS", "OFFICE DESKS"), shell="steel", radius_mm=(18.0, 16.0)),
)}


@dataclass(frozen=True)
class CartonBlock:
    """Cartons stacked in an (nx x ny) grid filling ``box``, ``depth`` mm along the ray."""

    box: Box
    depth: float
    carton_w: float
    carton_h: float

    @property
    def nx(self) -> int:
        return max(1, round(self.box.width / self.carton_w))

    @property
    def ny(self) -> int:
        return max(1, round(self.box.height / self.carton_h))


def carton_block(rng: np.random.Generator, goods: Goods, box: Box, depth: float) -> CartonBlock:
    """Pick a carton size for ``goods`` that tiles ``box`` in whole cartons."""
    w = rng.uniform(*goods.carton_mm[:2])
    h = rng.uniform(*goods.carton_mm[2:])
    nx, ny = max(1, round(box.width / w)), max(1, round(box.height / h))
    return CartonBlock(box, depth, box.width / nx, box.height / ny)


def carton_walls(block: CartonBlock, rng: np.random.Generator, board_mm: float | None = None) -> list[Part]:
    """Corrugated board: faces across the ray (uniform) and walls along it (the grid, crossed edge-on)."""
    b = block.box
    board = board_mm or rng.uniform(3.0, 6.0)
    n_z = max(1.0, round(block.depth / rng.uniform(300.0, 600.0)))
    edge_on = block.depth * BOARD_TO_PAPER
    return [
        solid("paper", b.x0, b.x1, b.y0, b.y1, 2 * board * n_z * BOARD_TO_PAPER),
        Part("paper", Columns(b.x0, b.x1, b.y0, b.y1, PeriodicWalls(block.carton_w, 2 * board, edge_on,
                                                                    b.x0 - board))),
        Part("paper", Rows(b.x0, b.x1, b.y0, b.y1, PeriodicWalls(block.carton_h, 2 * board, edge_on, b.y0 - board))),
    ]


def goods_parts(goods: Goods, block: CartonBlock, rng: np.random.Generator) -> list[Part]:
    """Walls and contents of a carton block of ``goods``."""
    fill = rng.uniform(*goods.fill)
    parts = carton_walls(block, rng)
    if goods.pattern == "cylinders":
        return parts + _cylinders(goods, block, fill, rng)
    parts += _per_carton(goods.material, block, block.depth * fill, 0.12, rng)
    if goods.pattern == "layers":
        parts += _layers(goods, block, rng)
    elif goods.pattern == "pieces":
        parts += _pieces(goods, block, rng)
    else:
        b = block.box
        corr = rng.uniform(30.0, 90.0)
        parts.append(Part(goods.material, Field(b.x0, b.x1, b.y0, b.y1, 0.25 * block.depth * fill, 0.8, corr,
                                                int(rng.integers(2**31)))))
    return parts


def _per_carton(material: str, block: CartonBlock, t_mean: float, rel: float, rng: np.random.Generator) -> list[Part]:
    """Contents with a carton-to-carton spread of ``rel`` (how full, how dense each carton is)."""
    b = block.box
    xe = tuple(np.linspace(b.x0, b.x1, block.nx + 1))
    ye = tuple(np.linspace(b.y0, b.y1, block.ny + 1))
    t = t_mean * np.clip(1.0 + rel * rng.standard_normal((block.ny, block.nx)), 0.3, None)
    return [Part(material, Cells(xe, ye, tuple(map(tuple, t))))]


def _cylinders(goods: Goods, block: CartonBlock, fill: float, rng: np.random.Generator) -> list[Part]:
    """Bottles or cans standing in rows: each carton layer is a row of chords (shell and liquid)."""
    b = block.box
    r = rng.uniform(*goods.radius_mm)
    pitch = 2 * r + rng.uniform(2.0, 8.0)
    n_z = max(1.0, np.floor(block.depth / pitch))
    centres = np.arange(b.x0 + pitch / 2, b.x1 - r, pitch)
    wall = 3.0 if goods.shell == "glass" else 0.25
    shell, inner = tubes(centres, r, r - wall, n_z), rods(centres, r - wall, n_z)
    parts = []
    for j in range(block.ny):
        y0 = b.y0 + j * block.carton_h + 6.0
        body = (block.carton_h - 12.0) * (0.68 if goods.shell == "glass" else 0.97)
        parts.append(Part(goods.shell, Columns(b.x0, b.x1, y0, y0 + body, shell)))
        parts.append(Part(goods.material, Columns(b.x0, b.x1, y0 + wall, y0 + body * fill, inner)))
        if goods.shell == "glass":  # necks
            necks = rods(centres, 0.35 * r, n_z)
            parts.append(Part("glass", Columns(b.x0, b.x1, y0 + body, y0 + block.carton_h - 14.0, necks)))
    return parts


def _layers(goods: Goods, block: CartonBlock, rng: np.random.Generator) -> list[Part]:
    """Horizontal layers of a denser material (shoe soles, board panels), in phase within each carton column."""
    b = block.box
    pitch, thick = goods.radius_mm
    layer = "rubber" if goods.shell == "rubber" else "wood"
    parts = []
    for i in range(block.nx):
        x0 = b.x0 + i * block.carton_w
        walls = PeriodicWalls(pitch * rng.uniform(0.9, 1.1), thick, block.depth * rng.uniform(0.4, 0.8),
                              b.y0 + rng.uniform(0, pitch))
        parts.append(Part(layer, Rows(x0 + 6.0, x0 + block.carton_w - 6.0, b.y0, b.y1, walls)))
    if goods.shell == "steel":  # fittings bags, handles
        parts += _pieces(goods, block, rng, materials=("steel",), per_carton=0.3)
    return parts


def _pieces(goods: Goods, block: CartonBlock, rng: np.random.Generator, *, materials: tuple[str, ...] = (),
            per_carton: float = 1.5) -> list[Part]:
    """Compact dense parts (motors, transformers, brackets, tools): ``per_carton`` on average in each carton, for
    every carton along the ray, each 10-120 mm of solid material deep."""
    b = block.box
    choices = materials or goods.pieces
    n_z = max(1.0, round(block.depth / 450.0))
    parts = []
    for j in range(block.ny):
        for i in range(block.nx):
            for _ in range(int(rng.poisson(per_carton * n_z))):
                w, h = rng.uniform(0.06, 0.4) * block.carton_w, rng.uniform(0.05, 0.3) * block.carton_h
                x = b.x0 + i * block.carton_w + rng.uniform(0, block.carton_w - w)
                y = b.y0 + j * block.carton_h + rng.uniform(0, block.carton_h - h)
                t, material = rng.uniform(10.0, 120.0), str(rng.choice(choices))
                if rng.random() < 0.3:  # round parts: motors, speakers, pulleys
                    shape = disc(x + w / 2, y + h / 2, min(w, h) / 2, t)
                    parts.append(Part(material, shape))
                else:
                    parts.append(solid(material, x, x + w, y, y + h, t))
    return parts


def pallet_parts(x0: float, y0: float, length: float, depth: float) -> list[Part]:
    """A block pallet (EUR-like) ``length`` mm along x, ``depth`` mm across: boards and blocks, softwood."""
    board_z = 0.79 * depth  # top deck boards cover ~79 % of the depth
    parts = [solid("wood", x0, x0 + length, y0 + 122.0, y0 + 144.0, board_z),
             solid("wood", x0, x0 + length, y0, y0 + 22.0, 0.43 * depth)]
    block_w = 145.0 if length >= 1000 else 100.0
    for xb in (x0, x0 + 0.5 * (length - block_w), x0 + length - block_w):
        parts.append(solid("wood", xb, xb + block_w, y0 + 22.0, y0 + 100.0, 0.45 * depth))
        parts.append(solid("wood", xb, xb + block_w, y0 + 100.0, y0 + 122.0, depth))
    return parts


PALLET_HEIGHT = 144.0
