"""Drug bricks, cigarette cases and concealed compartments: the shapes of the non-firearm threat classes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartinspect.xray.datagen.container import edge_on_corrugated
from smartinspect.xray.datagen.goods import BOARD_TO_PAPER
from smartinspect.xray.datagen.parts import Box, Outline, Part, solid
from smartinspect.xray.datagen.raster import Cells, Columns, PeriodicWalls, Rows

CASE_MM = (585.0, 445.0, 290.0)  # master case of 50 cartons (10 000 cigarettes)
PACK_PITCHES = (22.0, 55.0, 88.0)  # pack thickness, width, height


def drug_pack(rng: np.random.Generator, n_bricks: int, *, flat: bool = False) -> Outline:
    """``n_bricks`` wrapped bricks (~300 x 150 mm face, 1.1-1.3 g/cm³) stacked 1-3 deep along the ray.

    ``flat``: bricks lying flat, seen edge-on (300 mm x their 50-70 mm thickness), e.g. inside a pallet.
    """
    face_w, face_h = rng.uniform(280.0, 320.0), rng.uniform(140.0, 160.0)
    along = rng.uniform(50.0, 90.0)
    if flat:
        face_h, along = rng.uniform(50.0, 70.0), face_h
    if rng.random() < 0.3 and not flat:
        face_w, face_h = face_h, face_w
    n_z = int(min(n_bricks, rng.integers(1, 4)))
    n_face = int(np.ceil(n_bricks / n_z))
    nx = int(np.ceil(np.sqrt(n_face * face_h / face_w)))
    nx = max(1, min(nx, n_face))
    if flat:
        nx = n_face
    gap = rng.uniform(2.0, 8.0)
    density = rng.uniform(1.1, 1.3) / 1.2
    pieces = []
    for k in range(n_face):
        i, j = k % nx, k // nx
        corners = np.asarray(_corners(i * (face_w + gap), j * (face_h + gap), face_w, face_h))
        poly = [tuple(c) for c in corners + rng.uniform(-3.0, 3.0, size=(4, 2))]  # hand-wrapped, uneven
        pieces += [("drug", poly, along * n_z * density), ("plastic", poly, 3.0 * n_z)]
    info = {"bricks": n_face * n_z, "brick_mm": [round(face_w), round(face_h), round(along)]}
    return Outline(pieces, info)


def _corners(x0: float, y0: float, w: float, h: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]


@dataclass(frozen=True)
class CaseGrid:
    """Cigarette master cases stacked in a block: face size, case grid and pack/carton pitches (mm)."""

    case_w: float
    case_h: float
    case_d: float
    pack_x: float
    pack_y: float


def case_grid(rng: np.random.Generator) -> CaseGrid:
    """A master case turned one of the ways it is stacked; one pack pitch is always the 22 mm pack thickness."""
    dims = list(CASE_MM)
    order = rng.permutation(3)
    w, h, d = (dims[i] for i in order)
    fine = [PACK_PITCHES[0], float(rng.choice(PACK_PITCHES[1:]))]
    if rng.random() < 0.5:
        fine.reverse()
    return CaseGrid(w, h, d, fine[0], fine[1])


def cigarette_block(rng: np.random.Generator, box: Box, depth: float, grid: CaseGrid) -> list[Part]:
    """Cases of cigarettes filling ``box``: tobacco, the fine grid of pack walls (paperboard + foil, crossed
    edge-on over ``depth``), carton walls every 2-5 packs, and corrugated case walls."""
    n_x = max(1, round(box.width / grid.case_w))
    n_y = max(1, round(box.height / grid.case_h))
    xe = tuple(np.linspace(box.x0, box.x1, n_x + 1))
    ye = tuple(np.linspace(box.y0, box.y1, n_y + 1))
    tobacco = depth * 0.9 * np.clip(1 + 0.04 * rng.standard_normal((n_y, n_x)), 0.8, 1.2)
    n_cases_z = max(1.0, round(depth / grid.case_d))
    board = rng.uniform(3.5, 5.0)
    parts = [Part("tobacco", Cells(xe, ye, tuple(map(tuple, tobacco)))),
             solid("paper", box.x0, box.x1, box.y0, box.y1, 2 * board * n_cases_z * BOARD_TO_PAPER)]
    x0, y0 = box.x0 + rng.uniform(0, grid.pack_x), box.y0 + rng.uniform(0, grid.pack_y)
    for pitch_x, pitch_y, wall, material in ((grid.pack_x, grid.pack_y, 0.7, "paper"),
                                             (grid.pack_x, grid.pack_y, 0.02, "aluminium"),
                                             (grid.pack_x * 2, grid.pack_y * 5, 0.8, "paper")):
        parts.append(Part(material, Columns(box.x0, box.x1, box.y0, box.y1, PeriodicWalls(pitch_x, wall, depth, x0))))
        parts.append(Part(material, Rows(box.x0, box.x1, box.y0, box.y1, PeriodicWalls(pitch_y, wall, depth, y0))))
    edge = depth * BOARD_TO_PAPER
    parts.append(Part("paper", Columns(box.x0, box.x1, box.y0, box.y1,
                                       PeriodicWalls(box.width / n_x, 2 * board, edge, box.x0 - board))))
    parts.append(Part("paper", Rows(box.x0, box.x1, box.y0, box.y1,
                                    PeriodicWalls(box.height / n_y, 2 * board, edge, box.y0 - board))))
    return parts


def cavity_goods(rng: np.random.Generator, cavity: Box, depth: float) -> tuple[list[Part], str]:
    """Dense packages filling a hidden compartment: drug bricks, tobacco or banknote-like paper bundles."""
    material = str(rng.choice(["drug", "tobacco", "paper"], p=[0.6, 0.15, 0.25]))
    fill_h = cavity.height * rng.uniform(0.5, 0.97)
    size = rng.uniform(150.0, 320.0)
    nx, ny = max(1, round(cavity.width / size)), max(1, round(fill_h / size))
    xe = tuple(np.linspace(cavity.x0 + 3.0, cavity.x1 - 3.0, nx + 1))
    ye = tuple(np.linspace(cavity.y0 + 2.0, cavity.y0 + fill_h, ny + 1))
    packed = depth * rng.uniform(0.5, 0.9) * (1.5 if material == "tobacco" else 1.0)  # baled leaf
    t = packed * np.clip(1 + 0.15 * rng.standard_normal((ny, nx)), 0.4, 1.4)
    parts = [Part(material, Cells(xe, ye, tuple(map(tuple, t)))),
             Part("plastic", Columns(cavity.x0, cavity.x1, cavity.y0, cavity.y0 + fill_h,
                                     PeriodicWalls(cavity.width / nx, 4.0, depth * 0.5, cavity.x0)))]
    return parts, material


def false_wall_parts(rng: np.random.Generator, cavity: Box, depth: float) -> tuple[list[Part], dict]:
    """A steel sheet across the container ``cavity.x1`` from the front wall, and the goods behind it."""
    sheet = rng.uniform(1.5, 4.0)
    x = cavity.x1 - sheet
    corrugated = rng.random() < 0.4  # some mimic the corrugated front wall
    if corrugated:
        profile = edge_on_corrugated(x - 36.0, depth, sheet, 36.0)
        parts = [Part("steel", Columns(x - 36.0, cavity.x1, cavity.y0, cavity.y1, profile))]
    else:
        parts = [solid("steel", x, cavity.x1, cavity.y0, cavity.y1, depth)]
    for yb in np.linspace(cavity.y0 + 300, cavity.y1 - 300, int(rng.integers(0, 4))):  # stiffeners, edge-on
        parts.append(solid("steel", x - 40.0, x, yb, yb + 4.0, depth))
    goods, material = cavity_goods(rng, Box(cavity.x0, cavity.y0, x - (36.0 if corrugated else 0.0), cavity.y1),
                                   depth)
    info = {"sheet_mm": round(sheet, 1), "cavity_mm": round(cavity.width), "corrugated": corrugated,
            "contents": material}
    return parts + goods, info


def false_floor_parts(rng: np.random.Generator, cavity: Box, depth: float) -> tuple[list[Part], dict]:
    """A plate ``cavity.height`` above the real floor over [x0, x1], closing plates, cross supports, goods."""
    plate = rng.uniform(3.0, 6.0)
    material = "steel" if rng.random() < 0.7 else "plywood"
    thick = plate if material == "steel" else rng.uniform(18.0, 28.0)
    top = cavity.y1
    parts = [solid(material, cavity.x0, cavity.x1, top - thick, top, depth)]
    for xe in (cavity.x0, cavity.x1 - 3.0):
        parts.append(solid("steel", xe, xe + 3.0, cavity.y0, top - thick, depth))
    for xs in np.arange(cavity.x0 + 600.0, cavity.x1 - 300.0, rng.uniform(500.0, 900.0)):
        parts.append(solid("steel", xs, xs + 4.0, cavity.y0, top - thick, depth))
    inner = Box(cavity.x0 + 3.0, cavity.y0, cavity.x1 - 3.0, top - thick)
    goods, contents = cavity_goods(rng, inner, depth)
    info = {"plate": material, "plate_mm": round(thick, 1), "height_mm": round(cavity.height),
            "length_mm": round(cavity.width), "contents": contents}
    return parts + goods, info
