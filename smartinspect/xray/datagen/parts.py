"""The scene's building blocks: a part is one material in one shape; a threat is a labelled group of parts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartinspect.domain.tasks import THREAT_CLASSES
from smartinspect.xray.datagen.raster import Cells, Poly, Shape, rect, rotate_points

CLASS_NAMES = THREAT_CLASSES


@dataclass(frozen=True)
class Part:
    """``material`` (a name in materials.MATERIALS) filling ``shape``."""

    material: str
    shape: Shape


@dataclass
class Threat:
    """One contraband object or concealment, labelled with one box. ``detail`` is JSON for the manifest."""

    class_id: int
    subtype: str
    parts: list[Part]
    detail: dict = field(default_factory=dict)

    @property
    def class_name(self) -> str:
        return CLASS_NAMES[self.class_id]


@dataclass(frozen=True)
class Box:
    """An axis-aligned region in world mm (x along the truck, y up from the road)."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def solid(material: str, x0: float, x1: float, y0: float, y1: float, t: float) -> Part:
    """A box of ``material`` [x0, x1] x [y0, y1] mm crossed over ``t`` mm."""
    return Part(material, rect(x0, x1, y0, y1, t))


def hollow_box(material: str, x0: float, x1: float, y0: float, y1: float, *, depth: float, wall: float,
               end_wall: float | None = None) -> list[Part]:
    """A closed box (or a tube along the ray when ``end_wall`` is 0) of sheet ``wall`` mm thick, ``depth`` mm deep.

    Rays through the side faces run along them (path = depth); rays through the inside cross the two end faces.
    """
    end = wall if end_wall is None else end_wall
    w = min(wall, 0.5 * (x1 - x0), 0.5 * (y1 - y0))
    xe = (x0, x0 + w, x1 - w, x1)
    ye = (y0, y0 + w, y1 - w, y1)
    t = ((depth, depth, depth), (depth, 2 * end, depth), (depth, depth, depth))
    return [Part(material, Cells(xe, ye, t))]


Polygon = list[tuple[float, float]]


@dataclass
class Outline:
    """An object made of flat polygon pieces (material, polygon in local mm, path mm) that can be placed anywhere."""

    pieces: list[tuple[str, Polygon, float]]
    info: dict = field(default_factory=dict)

    def _points(self) -> np.ndarray:
        return np.concatenate([np.asarray(p, float) for _, p, _ in self.pieces])

    def half_extent(self, angle_deg: float) -> tuple[float, float]:
        """Half width and half height (mm) of the bounding box once rotated by ``angle_deg``."""
        pts = rotate_points(self._points(), angle_deg, (0.0, 0.0))
        return float(np.ptp(pts[:, 0])) / 2, float(np.ptp(pts[:, 1])) / 2

    def place(self, center: tuple[float, float], angle_deg: float) -> list[Part]:
        """Parts rotated by ``angle_deg``, moved so that their bounding box is centred on world ``center``."""
        pts = rotate_points(self._points(), angle_deg, (0.0, 0.0))
        shift = np.asarray(center, float) - 0.5 * (pts.min(axis=0) + pts.max(axis=0))
        parts = []
        for material, poly, t in self.pieces:
            placed = rotate_points(np.asarray(poly, float), angle_deg, (0.0, 0.0)) + shift
            parts.append(Part(material, Poly(tuple(map(tuple, placed)), t)))
        return parts
