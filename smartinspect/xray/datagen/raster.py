"""Shapes described in millimetres and their rasterisation to per-pixel path lengths.

World coordinates: x (mm) along the truck, from the image's left edge; y (mm) height above the road. The ray runs
across the truck (z). Every shape gives, for each pixel, the mean path length t (mm) that the rays through that
pixel travel in the shape's material, area-weighted over the pixel: partial pixels at edges get partial paths.
A pixel is ``pitch_mm`` square; row 0 is the top of the image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np


@dataclass(frozen=True)
class Grid:
    """The scan's pixel grid: (height_mm x width_mm) at ``pitch_mm`` per pixel in both axes."""

    width_mm: float
    height_mm: float
    pitch_mm: float

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) in pixels."""
        return math.ceil(self.height_mm / self.pitch_mm - 1e-9), math.ceil(self.width_mm / self.pitch_mm - 1e-9)

    def col_edges(self, col0: int, n: int) -> np.ndarray:
        """x (mm) of the n+1 edges of columns col0 .. col0+n-1."""
        return (col0 + np.arange(n + 1)) * self.pitch_mm

    def row_edges(self, row0: int, n: int) -> np.ndarray:
        """y (mm, up) of the n+1 edges of rows row0 .. row0+n-1, top edge first (so descending)."""
        return self.height_mm - (row0 + np.arange(n + 1)) * self.pitch_mm

    def cols(self, x0: float, x1: float) -> tuple[int, int]:
        """(first column, count) touched by [x0, x1] mm."""
        c0 = math.floor(x0 / self.pitch_mm)
        return c0, max(1, math.ceil(x1 / self.pitch_mm) - c0)

    def rows(self, y0: float, y1: float) -> tuple[int, int]:
        """(first row, count) touched by heights [y0, y1] mm."""
        r0 = math.floor((self.height_mm - y1) / self.pitch_mm)
        return r0, max(1, math.ceil((self.height_mm - y0) / self.pitch_mm) - r0)

    def x_to_col(self, x_mm: float) -> float:
        return x_mm / self.pitch_mm

    def y_to_row(self, y_mm: float) -> float:
        return (self.height_mm - y_mm) / self.pitch_mm


@dataclass(frozen=True)
class Patch:
    """Mean path length t (mm), (h, w) float32, for the pixels starting at (row0, col0)."""

    row0: int
    col0: int
    t: np.ndarray


class Shape(Protocol):
    def patch(self, grid: Grid) -> Patch | None: ...


def overlap_matrix(pixel_edges: np.ndarray, cell_edges: np.ndarray, pitch: float) -> np.ndarray:
    """(n_pixels, n_cells) fraction of each pixel covered by each cell; both edge lists ascending (mm)."""
    lo = np.maximum(pixel_edges[:-1, None], cell_edges[None, :-1])
    hi = np.minimum(pixel_edges[1:, None], cell_edges[None, 1:])
    return np.clip(hi - lo, 0.0, None) / pitch


# ---------------------------------------------------------------- 1-D path profiles


class Profile(Protocol):
    """Path length (mm) as a function of one coordinate u (mm), given by its antiderivative ∫t du."""

    def integral(self, u: np.ndarray) -> np.ndarray: ...


def profile_means(profile: Profile, edges: np.ndarray, lo: float, hi: float, pitch: float) -> np.ndarray:
    """Pixel-area-weighted path per pixel for pixels between ascending ``edges``, the profile living on [lo, hi]."""
    a = np.clip(edges[:-1], lo, hi)
    b = np.clip(edges[1:], lo, hi)
    return (profile.integral(b) - profile.integral(a)) / pitch


@dataclass(frozen=True)
class Chord(Profile):
    """Path through ``count`` cylinders of ``radius`` whose axes are perpendicular to u, at ``center``."""

    center: float
    radius: float
    count: float = 1.0

    def integral(self, u: np.ndarray) -> np.ndarray:
        r = self.radius
        s = np.clip(u - self.center, -r, r)
        return self.count * (s * np.sqrt(np.maximum(r * r - s * s, 0.0)) + r * r * np.arcsin(s / r))


@dataclass(frozen=True)
class PeriodicWalls(Profile):
    """Thin walls ``wall`` mm thick every ``pitch`` mm (starting at ``phase``), each crossed over ``t_on`` mm."""

    pitch: float
    wall: float
    t_on: float
    phase: float = 0.0

    def integral(self, u: np.ndarray) -> np.ndarray:
        v = u - self.phase
        return self.t_on * (np.floor(v / self.pitch) * self.wall + np.clip(np.mod(v, self.pitch), 0.0, self.wall))


@dataclass(frozen=True)
class Sampled(Profile):
    """Any pointwise t(u) on [lo, hi], integrated numerically on a ``step`` mm grid."""

    fn: Callable[[np.ndarray], np.ndarray]
    lo: float
    hi: float
    step: float = 0.25

    def integral(self, u: np.ndarray) -> np.ndarray:
        n = max(2, math.ceil((self.hi - self.lo) / self.step))
        knots = np.linspace(self.lo, self.hi, n + 1)
        mids = 0.5 * (knots[1:] + knots[:-1])
        cum = np.concatenate([[0.0], np.cumsum(self.fn(mids) * np.diff(knots))])
        return np.interp(u, knots, cum)


@dataclass(frozen=True)
class ProfileSum(Profile):
    parts: tuple[Profile, ...]

    def integral(self, u: np.ndarray) -> np.ndarray:
        return sum((p.integral(u) for p in self.parts), np.zeros_like(u, dtype=float))


def rods(centres, radius: float, count: float = 1.0) -> ProfileSum:
    """Solid cylinders (``count`` deep along the ray) of ``radius`` at each of ``centres``."""
    return ProfileSum(tuple(Chord(float(c), radius, count) for c in centres))


def tubes(centres, r_out: float, r_in: float, count: float = 1.0) -> ProfileSum:
    """Hollow cylinders: the wall between ``r_in`` and ``r_out`` of each tube at ``centres``."""
    return ProfileSum((rods(centres, r_out, count), rods(centres, r_in, -count)))


# ---------------------------------------------------------------- shapes


@dataclass(frozen=True)
class Cells(Shape):
    """Piecewise-constant path length on a rectilinear grid: t[j, i] for x in x_edges[i:i+2], y in y_edges[j:j+2]."""

    x_edges: tuple[float, ...]
    y_edges: tuple[float, ...]
    t: tuple[tuple[float, ...], ...]

    def patch(self, grid: Grid) -> Patch | None:
        xe, ye = np.asarray(self.x_edges, float), np.asarray(self.y_edges, float)
        c0, w = grid.cols(xe[0], xe[-1])
        r0, h = grid.rows(ye[0], ye[-1])
        cx = overlap_matrix(grid.col_edges(c0, w), xe, grid.pitch_mm)
        cy = overlap_matrix(grid.row_edges(r0, h)[::-1], ye, grid.pitch_mm)[::-1]
        t = cy @ np.asarray(self.t, float) @ cx.T
        return Patch(r0, c0, t.astype(np.float32))


def rect(x0: float, x1: float, y0: float, y1: float, t: float) -> Cells:
    """A box [x0, x1] x [y0, y1] (mm) crossed over ``t`` mm."""
    return Cells((x0, x1), (y0, y1), ((t,),))


@dataclass(frozen=True)
class Columns(Shape):
    """[x0, x1] x [y0, y1] whose path varies along x only, t = profile(x)."""

    x0: float
    x1: float
    y0: float
    y1: float
    profile: Profile

    def patch(self, grid: Grid) -> Patch | None:
        c0, w = grid.cols(self.x0, self.x1)
        r0, h = grid.rows(self.y0, self.y1)
        tx = profile_means(self.profile, grid.col_edges(c0, w), self.x0, self.x1, grid.pitch_mm)
        cy = overlap_matrix(grid.row_edges(r0, h)[::-1], np.array([self.y0, self.y1]), grid.pitch_mm)[::-1, 0]
        return Patch(r0, c0, np.outer(cy, tx).astype(np.float32))


@dataclass(frozen=True)
class Rows(Shape):
    """[x0, x1] x [y0, y1] whose path varies with height only, t = profile(y)."""

    x0: float
    x1: float
    y0: float
    y1: float
    profile: Profile

    def patch(self, grid: Grid) -> Patch | None:
        c0, w = grid.cols(self.x0, self.x1)
        r0, h = grid.rows(self.y0, self.y1)
        edges = grid.row_edges(r0, h)[::-1]
        ty = profile_means(self.profile, edges, self.y0, self.y1, grid.pitch_mm)[::-1]
        cx = overlap_matrix(grid.col_edges(c0, w), np.array([self.x0, self.x1]), grid.pitch_mm)[:, 0]
        return Patch(r0, c0, np.outer(ty, cx).astype(np.float32))


@dataclass(frozen=True)
class Band(Shape):
    """Region between heights lo(x) and hi(x) for x in [x0, x1], crossed over t(x) mm (x supersampled 4x)."""

    x0: float
    x1: float
    lo: Callable[[np.ndarray], np.ndarray]
    hi: Callable[[np.ndarray], np.ndarray]
    t: Callable[[np.ndarray], np.ndarray]
    y_min: float
    y_max: float

    def patch(self, grid: Grid) -> Patch | None:
        p, sub = grid.pitch_mm, 4
        c0, w = grid.cols(self.x0, self.x1)
        r0, h = grid.rows(self.y_min, self.y_max)
        xs = (c0 + (np.arange(w * sub) + 0.5) / sub) * p
        inside = (xs >= self.x0) & (xs <= self.x1)
        lo, hi = self.lo(xs), self.hi(xs)
        tops = grid.row_edges(r0, h)
        cov = np.clip(np.minimum(hi[None, :], tops[:-1, None]) - np.maximum(lo[None, :], tops[1:, None]), 0, None)
        t = cov * (np.where(inside, self.t(xs), 0.0) / p)[None, :]
        return Patch(r0, c0, t.reshape(h, w, sub).mean(axis=2).astype(np.float32))


@dataclass(frozen=True)
class Radial(Shape):
    """Cylinders whose axes run along the ray, centred at (xc, yc): rings (r_in, r_out, t) of path t mm, summed.

    Wheels, coils, reels lying across the container. Pixels crossed by a ring edge are supersampled 4 x 4.
    """

    xc: float
    yc: float
    rings: tuple[tuple[float, float, float], ...]

    def patch(self, grid: Grid) -> Patch | None:
        r_max = max(r[1] for r in self.rings)
        c0, w = grid.cols(self.xc - r_max, self.xc + r_max)
        r0, h = grid.rows(self.yc - r_max, self.yc + r_max)
        p = grid.pitch_mm
        edges = np.unique([e for r_in, r_out, _ in self.rings for e in (r_in, r_out)])
        values = np.zeros(edges.size + 1, np.float32)
        for r_in, r_out, t in self.rings:
            i, j = np.searchsorted(edges, [r_in, r_out])
            values[i + 1 : j + 1] += t
        xs = (c0 + np.arange(w) + 0.5) * p - self.xc
        ys = grid.height_mm - (r0 + np.arange(h) + 0.5) * p - self.yc
        r = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
        idx = np.searchsorted(edges, r, side="right")
        t = values[idx]
        gap = np.minimum(np.abs(r - edges[np.maximum(idx - 1, 0)]), np.abs(edges[np.minimum(idx, edges.size - 1)] - r))
        near = np.flatnonzero(gap < 0.75 * p)  # pixels a ring edge passes through: supersample 4 x 4
        if near.size:
            offs = (np.arange(4) + 0.5) / 4 - 0.5
            sx = (xs[near % w][:, None, None] + offs[None, None, :] * p)
            sy = (ys[near // w][:, None, None] - offs[None, :, None] * p)
            sub = values[np.searchsorted(edges, np.sqrt(sx**2 + sy**2), side="right")]
            t.flat[near] = sub.reshape(near.size, -1).mean(axis=1)
        return Patch(r0, c0, t)


def disc(xc: float, yc: float, radius: float, t: float) -> Radial:
    """A cylinder whose axis runs along the ray: a disc of ``radius`` mm crossed over ``t`` mm."""
    return Radial(xc, yc, ((0.0, radius, t),))


def ring(xc: float, yc: float, r_out: float, r_in: float, t: float) -> Radial:
    """An annulus (a tube along the ray) crossed over ``t`` mm."""
    return Radial(xc, yc, ((r_in, r_out, t),))


@dataclass(frozen=True)
class Poly(Shape):
    """A polygon (N, 2) of (x, y) mm crossed over ``t`` mm; rasterised 4x supersampled."""

    points: tuple[tuple[float, float], ...]
    t: float

    def patch(self, grid: Grid) -> Patch | None:
        pts = np.asarray(self.points, float)
        c0, w = grid.cols(pts[:, 0].min(), pts[:, 0].max())
        r0, h = grid.rows(pts[:, 1].min(), pts[:, 1].max())
        sub, shift = 4, 4
        u = (pts[:, 0] / grid.pitch_mm - c0) * sub
        v = ((grid.height_mm - pts[:, 1]) / grid.pitch_mm - r0) * sub
        mask = np.zeros((h * sub, w * sub), np.uint8)
        fixed = np.round(np.stack([u, v], axis=1) * (1 << shift) - 0.5 * (1 << shift)).astype(np.int32)
        cv2.fillPoly(mask, [fixed], 255, lineType=cv2.LINE_8, shift=shift)
        cover = mask.reshape(h, sub, w, sub).mean(axis=(1, 3), dtype=np.float32) / 255.0
        return Patch(r0, c0, cover * np.float32(self.t))


@dataclass(frozen=True)
class Field(Shape):
    """[x0, x1] x [y0, y1] with a smooth random path t_mean * (1 + rel_sigma * n), n of ``corr_mm`` grain."""

    x0: float
    x1: float
    y0: float
    y1: float
    t_mean: float
    rel_sigma: float
    corr_mm: float
    seed: int

    def patch(self, grid: Grid) -> Patch | None:
        base = rect(self.x0, self.x1, self.y0, self.y1, self.t_mean).patch(grid)
        h, w = base.t.shape
        nx = max(2, math.ceil((self.x1 - self.x0) / self.corr_mm) + 1)
        ny = max(2, math.ceil((self.y1 - self.y0) / self.corr_mm) + 1)
        coarse = np.random.default_rng(self.seed).standard_normal((ny, nx)).astype(np.float32)
        smooth = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
        factor = np.clip(1.0 + self.rel_sigma * smooth, 0.0, None)
        return Patch(base.row0, base.col0, base.t * factor)


def rotate_points(points: np.ndarray, angle_deg: float, center: tuple[float, float]) -> np.ndarray:
    """Rotate (N, 2) mm points counter-clockwise (y up) about ``center``."""
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    c = np.asarray(center, float)
    return (np.asarray(points, float) - c) @ rot.T + c
