"""From parts to line integrals (Beer-Lambert) and from line integrals to detector counts.

A_E(y, x) = Σ μ_E(material) · t(y, x, material) for E in (high, low); t in cm. Threats are added to the same sums
(threat image projection: transmissions multiply), never blended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from smartinspect.xray.datagen.materials import get_material
from smartinspect.xray.datagen.parts import Part, Threat
from smartinspect.xray.datagen.raster import Grid, Patch

BOX_MIN_ATTENUATION = 0.02  # a threat's own A_high above this marks its box
MIN_CARGO_PATH_MM = 1e-3  # path length that counts as "something there" (float noise is far below)
NOISE_FLOOR_ATTENUATION = 8.0  # above this A, 55k-count scans are at the electronic noise floor


@dataclass
class LineIntegrals:
    """(H, W) float32 attenuation at the high and low energy, and the cargo path length (mm) per pixel."""

    high: np.ndarray
    low: np.ndarray
    cargo_mm: np.ndarray


@dataclass(frozen=True)
class LabelledBox:
    """A threat's box and its own attenuation inside the box (to judge how visible it is)."""

    class_id: int
    box: tuple[int, int, int, int]  # x1, y1, x2, y2 pixels, x2/y2 exclusive
    own: np.ndarray  # (y2 - y1, x2 - x1) float32, the threat's A_high alone

    def visibility(self, total_high: np.ndarray, *, floor: float = NOISE_FLOOR_ATTENUATION) -> dict:
        """Mean own attenuation and the share of its pixels not buried under the detector's noise floor."""
        x1, y1, x2, y2 = self.box
        mask = self.own > BOX_MIN_ATTENUATION
        total = total_high[y1:y2, x1:x2][mask]
        return {"threat_attenuation": round(float(self.own[mask].mean()), 3),
                "visible_fraction": round(float((total < floor).mean()), 3)}


class Canvas:
    """Accumulates line integrals on a grid."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        shape = grid.shape
        self.maps = LineIntegrals(np.zeros(shape, np.float32), np.zeros(shape, np.float32),
                                  np.zeros(shape, np.float32))

    def add(self, material: str, patch: Patch | None, *, cargo: bool = False) -> None:
        if patch is None:
            return
        window = _clip(patch, self.grid.shape)
        if window is None:
            return
        (r0, r1, c0, c1), t = window
        m = get_material(material)
        self.maps.high[r0:r1, c0:c1] += t * np.float32(m.mu_high / 10.0)  # mm -> cm
        self.maps.low[r0:r1, c0:c1] += t * np.float32(m.mu_low / 10.0)
        if cargo:
            self.maps.cargo_mm[r0:r1, c0:c1] += t

    def add_parts(self, parts: Iterable[Part], *, cargo: bool = False) -> None:
        for part in parts:
            self.add(part.material, part.shape.patch(self.grid), cargo=cargo)

    def add_threat(self, threat: Threat) -> LabelledBox | None:
        """Add a threat's parts; its box is where its own A_high exceeds BOX_MIN_ATTENUATION (None if nowhere)."""
        patches = [(p.material, p.shape.patch(self.grid)) for p in threat.parts]
        patches = [(m, p) for m, p in patches if p is not None]
        if not patches:
            return None
        r0 = min(p.row0 for _, p in patches)
        c0 = min(p.col0 for _, p in patches)
        r1 = max(p.row0 + p.t.shape[0] for _, p in patches)
        c1 = max(p.col0 + p.t.shape[1] for _, p in patches)
        own = np.zeros((r1 - r0, c1 - c0), np.float32)
        for material, p in patches:
            h, w = p.t.shape
            own[p.row0 - r0 : p.row0 - r0 + h, p.col0 - c0 : p.col0 - c0 + w] += p.t * np.float32(
                get_material(material).mu_high / 10.0)
            self.add(material, p, cargo=True)
        return _box_of(own, r0, c0, self.grid.shape, threat.class_id)


def _clip(patch: Patch, shape: tuple[int, int]):
    h, w = patch.t.shape
    r0, c0 = max(patch.row0, 0), max(patch.col0, 0)
    r1, c1 = min(patch.row0 + h, shape[0]), min(patch.col0 + w, shape[1])
    if r1 <= r0 or c1 <= c0:
        return None
    t = patch.t[r0 - patch.row0 : r1 - patch.row0, c0 - patch.col0 : c1 - patch.col0]
    return (r0, r1, c0, c1), t


def _box_of(own: np.ndarray, r0: int, c0: int, shape: tuple[int, int], class_id: int) -> LabelledBox | None:
    rows = np.flatnonzero((own > BOX_MIN_ATTENUATION).any(axis=1))
    cols = np.flatnonzero((own > BOX_MIN_ATTENUATION).any(axis=0))
    if rows.size == 0:
        return None
    x1, x2 = max(c0 + int(cols[0]), 0), min(c0 + int(cols[-1]) + 1, shape[1])
    y1, y2 = max(r0 + int(rows[0]), 0), min(r0 + int(rows[-1]) + 1, shape[0])
    if x2 <= x1 or y2 <= y1:
        return None
    return LabelledBox(class_id, (x1, y1, x2, y2), own[y1 - r0 : y2 - r0, x1 - c0 : x2 - c0])


# ---------------------------------------------------------------- the detector


@dataclass(frozen=True)
class Exposure:
    """One scan's detector settings: open-beam counts and the detector's imperfections."""

    i0: float  # open-beam counts
    blur_sigma_px: float  # Gaussian detector response (scintillator cross-talk, focal spot)
    dark_noise: float  # electronic noise (counts, std) after integration
    pulse_jitter: float  # relative linac dose fluctuation per column (pulse), after reference correction
    row_gain_jitter: float  # relative residual gain error per detector (row)


GAUSS_ABOVE = 200.0  # counts above which Poisson noise is drawn as N(λ, λ) (skew < 7 %, blur averages it out)
DARK_NOISE_BELOW = 4000.0  # electronic noise is drawn where it matters; above, its variance adds < 0.2 %


def expose(attenuation: np.ndarray, exposure: Exposure, rng: np.random.Generator | None) -> np.ndarray:
    """(H, W) attenuation -> (H, W) uint16 counts. ``rng`` None: ideal detector (I0·exp(-A), no noise, no blur)."""
    lam = np.exp(-attenuation, dtype=np.float32) * np.float32(exposure.i0)
    if rng is None:
        return _to_uint16(lam)
    h, w = lam.shape
    lam *= (1.0 + exposure.pulse_jitter * rng.standard_normal(w, dtype=np.float32))[None, :]
    lam *= (1.0 + exposure.row_gain_jitter * rng.standard_normal(h, dtype=np.float32))[:, None]
    counts = _poisson(lam, rng)
    counts = cv2.GaussianBlur(counts, (0, 0), exposure.blur_sigma_px, borderType=cv2.BORDER_REFLECT)
    dark = counts < DARK_NOISE_BELOW
    counts[dark] += exposure.dark_noise * rng.standard_normal(int(dark.sum()), dtype=np.float32)
    return _to_uint16(counts)


def _poisson(lam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts of mean ``lam`` (float32): exact below GAUSS_ABOVE, normal approximation above."""
    out = lam + np.sqrt(lam) * rng.standard_normal(lam.shape, dtype=np.float32)
    dark = lam < GAUSS_ABOVE
    if dark.any():
        out[dark] = rng.poisson(lam[dark]).astype(np.float32)
    return out


def _to_uint16(counts: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(counts), 1, 65535).astype(np.uint16)
