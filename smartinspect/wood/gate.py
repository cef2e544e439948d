"""The first gate: is this a colour photo of something wood-like? Cheap statistics of the analysis view.

The classifier's open-set score catches wood it does not know; it is not trusted alone on inputs far from any
photo of wood (an X-ray export, a document, noise): a network can map those anywhere in feature space. So inputs
whose colour or texture statistics lie outside the range of every training photo abstain.
Thresholds are calibrated on the training photos (``calibrate_gate``) and shipped in the model manifest.

One check depends on the model's call: the colour range of the predicted class. The global hue range spans every
timber from purple rosewood to pale pine, so a pink photo of skin passes it, and the network may call it Pinus;
no pine photo is that red. A photo whose mean colour lies outside the range of the training photos of the class it
is called abstains (``class_colour``; docs/wood.md, experiment 15).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

DARK = 25  # luminance below this is the loupe's black surround, not wood
# A class's colour range: its training photos' extremes widened by this times their distance to the 2nd (98th)
# percentile. Chosen on held-out known photos and the non-wood probe (docs/wood.md, experiment 15).
CLASS_COLOUR_MARGIN = 1.0


@dataclass(frozen=True)
class ClassColour:
    """The hue (degrees) and chroma range of the training photos of one class."""

    hue_range: tuple[float, float]
    chroma_range: tuple[float, float]

    def contains(self, stats: dict[str, float]) -> bool:
        return (self.hue_range[0] <= stats["hue"] <= self.hue_range[1]
                and self.chroma_range[0] <= stats["chroma"] <= self.chroma_range[1])


@dataclass(frozen=True)
class GateThresholds:
    min_valid_fraction: float = 0.3  # share of the view that is not the black surround
    max_gray_fraction: float = 0.5  # share of (valid) pixels with almost no colour
    max_bright_fraction: float = 0.3  # share of near-white pixels (paper, open-beam X-ray, blown-out frames)
    hue_range: tuple[float, float] = (-30.0, 65.0)  # hue (degrees) of the mean colour; wood is red to yellow
    chroma_range: tuple[float, float] = (0.06, 0.85)  # saturation of the mean colour (pseudo-colour maps: higher)
    min_autocorrelation: float = 0.35  # neighbouring pixels of a photo are alike; of noise they are not
    # Band-pass (2-8 px) contrast away from the loupe's rim: vessels, rays, rings and parenchyma bands give end grain
    # structure at that scale; skin, sand, plaster and painted metal are flat there. 0 (old manifests): no check.
    min_structure: float = 0.0
    # Colour range per predicted class (taxon name). Empty (old manifests) or a class without one: no check.
    class_colour: dict[str, ClassColour] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {"min_valid_fraction": self.min_valid_fraction, "max_gray_fraction": self.max_gray_fraction,
               "max_bright_fraction": self.max_bright_fraction,
               "hue_range": list(self.hue_range), "chroma_range": list(self.chroma_range),
               "min_autocorrelation": self.min_autocorrelation, "min_structure": self.min_structure}
        if self.class_colour:
            out["class_colour"] = {t: {"hue_range": list(c.hue_range), "chroma_range": list(c.chroma_range)}
                                   for t, c in self.class_colour.items()}
        return out

    @classmethod
    def from_dict(cls, raw: dict | None) -> GateThresholds:
        if not raw:
            return cls()
        return cls(raw["min_valid_fraction"], raw["max_gray_fraction"], raw["max_bright_fraction"],
                   tuple(raw["hue_range"]), tuple(raw["chroma_range"]), raw["min_autocorrelation"],
                   float(raw.get("min_structure", 0.0)),
                   {str(t): ClassColour(tuple(c["hue_range"]), tuple(c["chroma_range"]))
                    for t, c in raw.get("class_colour", {}).items()})


@dataclass(frozen=True)
class GateResult:
    passed: bool
    # codes: too_dark, not_coloured, too_bright, colour_not_wood, noise_like, flat_texture, and colour_not_class (a
    # wood colour, but not one of the class the photo is called)
    failures: tuple[str, ...]
    stats: dict[str, float] = field(default_factory=dict)


# What each failure code means, for people (the expert's case page).
FAILURE_TEXT = {
    "too_dark": "mostly dark: the loupe's surround, not wood",
    "not_coloured": "almost no colour (paper, an X-ray export, a grey frame)",
    "too_bright": "blown out or white",
    "colour_not_wood": "a colour no timber has",
    "noise_like": "pixel noise rather than a photo",
    "flat_texture": "no end-grain structure (flat or out of focus)",
    "colour_not_class": "wood-coloured, but not the colour of the timber the model called it",
}


def view_statistics(view: np.ndarray) -> dict[str, float]:
    """Colour and texture statistics of an (n, n, 3) uint8 RGB view."""
    rgb = view.astype(np.float32)
    lum = cv2.cvtColor(view, cv2.COLOR_RGB2GRAY).astype(np.float32)
    valid = lum >= DARK
    valid_fraction = float(valid.mean())
    pixels = rgb[valid] if valid.any() else rgb.reshape(-1, 3)
    top = pixels.max(axis=1)
    # Colourless: channels within 12 levels, or within 8 % of the brightest one (white paper under warm light).
    gray_fraction = float((top - pixels.min(axis=1) < np.maximum(12.0, 0.08 * top)).mean())
    bright_fraction = float((lum[valid] > 235).mean()) if valid.any() else 0.0
    mean = pixels.mean(axis=0)
    hsv = cv2.cvtColor(np.clip(mean, 0, 255).astype(np.uint8).reshape(1, 1, 3), cv2.COLOR_RGB2HSV_FULL)[0, 0]
    hue = float(hsv[0]) / 256 * 360
    hue = hue - 360 if hue > 180 else hue
    chroma = float((mean.max() - mean.min()) / max(mean.max(), 1.0))
    return {"valid_fraction": valid_fraction, "gray_fraction": gray_fraction, "bright_fraction": bright_fraction,
            "hue": hue, "chroma": chroma,
            "autocorrelation": _autocorrelation(lum, valid), "structure": _structure(lum, valid)}


def _autocorrelation(lum: np.ndarray, valid: np.ndarray) -> float:
    """Mean lag-1 correlation of luminance (horizontal and vertical) inside the valid region."""
    out = []
    for a, b, m in ((lum[:, :-1], lum[:, 1:], valid[:, :-1] & valid[:, 1:]),
                    (lum[:-1], lum[1:], valid[:-1] & valid[1:])):
        x, y = a[m], b[m]
        if x.size < 16 or x.std() < 1e-3 or y.std() < 1e-3:
            out.append(0.0)
            continue
        out.append(float(np.corrcoef(x, y)[0, 1]))
    return float(np.mean(out))


def _structure(lum: np.ndarray, valid: np.ndarray) -> float:
    """Relative band-pass contrast: std of (blur 2 px - blur 8 px) over the mean luminance, inside the valid region.
    The blurs are normalised convolutions over the valid region only, so the rim of the loupe's black surround does
    not count as texture."""
    if valid.sum() < 64:
        return 0.0
    mask = valid.astype(np.float32)
    inner = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    inner = inner if inner.sum() >= 64 else valid

    def blur(sigma: float) -> np.ndarray:
        return cv2.GaussianBlur(lum * mask, (0, 0), sigma) / np.maximum(cv2.GaussianBlur(mask, (0, 0), sigma), 1e-3)

    band = blur(2.0) - blur(8.0)
    return float(band[inner].std() / max(float(lum[inner].mean()), 1.0))


def check_wood_likeness(view: np.ndarray, thresholds: GateThresholds, predicted: str | None = None) -> GateResult:
    """``predicted``: the class the model calls the photo (its top class), for that class's colour range."""
    stats = view_statistics(view)
    failures = []
    if stats["valid_fraction"] < thresholds.min_valid_fraction:
        failures.append("too_dark")
    if stats["gray_fraction"] > thresholds.max_gray_fraction:
        failures.append("not_coloured")
    if stats["bright_fraction"] > thresholds.max_bright_fraction:
        failures.append("too_bright")
    lo, hi = thresholds.hue_range
    c_lo, c_hi = thresholds.chroma_range
    if not lo <= stats["hue"] <= hi or not c_lo <= stats["chroma"] <= c_hi:
        failures.append("colour_not_wood")
    elif predicted in thresholds.class_colour and not thresholds.class_colour[predicted].contains(stats):
        failures.append("colour_not_class")
    if stats["autocorrelation"] < thresholds.min_autocorrelation:
        failures.append("noise_like")
    if stats["structure"] < thresholds.min_structure:
        failures.append("flat_texture")
    return GateResult(not failures, tuple(failures), {k: round(v, 4) for k, v in stats.items()})


def _widened(values, margin: float) -> tuple[float, float]:
    """The range of ``values`` widened beyond each extreme by ``margin`` times its distance to the 2nd (98th)
    percentile, plus 1e-3."""
    v = np.asarray(values, np.float64)
    return (float(v.min() - margin * (np.percentile(v, 2) - v.min()) - 1e-3),
            float(v.max() + margin * (v.max() - np.percentile(v, 98)) + 1e-3))


def calibrate_gate(stats: list[dict[str, float]], *, margin: float = 0.25, structure_quantile: float = 0.001,
                   classes: Sequence[str] | None = None, class_stats: list[dict[str, float]] | None = None,
                   class_margin: float = CLASS_COLOUR_MARGIN) -> GateThresholds:
    """Thresholds that pass every training photo, widened beyond the extreme value by ``margin`` times its distance
    to the 2nd (or 98th) percentile: a little room for photos slightly beyond the training range.

    Except the structure floor: a few defocused training photos are nearly as flat as skin, and the minimum would
    follow them down. It is the ``structure_quantile`` of the training photos instead (0.1 %: about one photo in a
    thousand is asked to be retaken; docs/wood.md has the trade-off).

    With ``classes`` (the class of each photo of ``class_stats``; default ``stats``), each class also gets the hue and
    chroma range of its own photos, widened by ``class_margin``: ``class_colour``."""
    def widened(key: str) -> tuple[float, float]:
        return _widened([s[key] for s in stats], margin)

    colour = _colour_range(stats, margin)
    return GateThresholds(
        min_valid_fraction=max(0.05, widened("valid_fraction")[0]),
        max_gray_fraction=min(0.95, widened("gray_fraction")[1]),
        max_bright_fraction=min(0.95, widened("bright_fraction")[1]),
        hue_range=colour.hue_range, chroma_range=colour.chroma_range,
        min_autocorrelation=max(0.0, widened("autocorrelation")[0]),
        min_structure=float(np.quantile([s["structure"] for s in stats], structure_quantile)),
        class_colour=_class_colours(class_stats if class_stats is not None else stats, classes, class_margin),
    )


def _colour_range(stats: Sequence[dict[str, float]], margin: float) -> ClassColour:
    """The widened hue and chroma range of some photos (all training photos, or one class's)."""
    lo, hi = _widened([s["chroma"] for s in stats], margin)
    return ClassColour(_widened([s["hue"] for s in stats], margin), (max(0.0, lo), min(1.0, hi)))


def _class_colours(stats: list[dict[str, float]], classes: Sequence[str] | None,
                   margin: float) -> dict[str, ClassColour]:
    if classes is None:
        return {}
    if len(classes) != len(stats):
        raise ValueError(f"{len(classes)} class names for {len(stats)} photos")
    by_class: dict[str, list[dict[str, float]]] = {}
    for s, c in zip(stats, classes, strict=True):
        by_class.setdefault(str(c), []).append(s)
    return {c: _colour_range(mine, margin) for c, mine in sorted(by_class.items())}
