"""Anatomy parameters of a timber, as the generator uses them: what a 10-14x loupe shows on a sanded end grain.

Every range is (low, high) and is sampled uniformly per image (per ring, per vessel where it says so). Sizes are
micrometres, frequencies per mm or per mm^2, colours sRGB 0-255. The values per genus are in ``genera.py`` with
their sources (docs/datagen-wood.md explains each field and gives the IAWA feature numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Span = tuple[float, float]
RGB = tuple[int, int, int]

Porosity = Literal["ring", "semi_ring", "diffuse", "none"]
Arrangement = Literal["random", "diagonal", "flame", "ulmiform"]
Paratracheal = Literal["none", "vasicentric", "aliform", "confluent"]
Bands = Literal["none", "fine", "wide", "aggregates"]


@dataclass(frozen=True)
class Vessels:
    """Pores. ``ew_*`` is the earlywood of ring- and semi-ring-porous woods; diffuse woods use ``lw_*`` only."""

    porosity: Porosity
    lw_diameter_um: Span  # tangential lumen diameter outside the earlywood zone (all vessels when diffuse)
    density_mm2: Span  # vessels per mm^2 outside the earlywood zone
    ew_diameter_um: Span = (0.0, 0.0)
    ew_rows: tuple[int, int] = (0, 0)  # rows of earlywood vessels (ring-porous)
    multiples: float = 0.3  # share of vessel groups that are radial multiples
    max_multiple: int = 3
    clusters: float = 0.0  # share of groups that are clusters
    arrangement: Arrangement = "random"
    tyloses: float = 0.0  # share of vessels filled with tyloses (glossy)
    deposits: float = 0.0  # share of vessels with coloured deposits
    deposit_colour: RGB = (60, 20, 15)
    white_deposits: float = 0.0  # share with white (mineral) deposits


@dataclass(frozen=True)
class Parenchyma:
    """Axial parenchyma, lighter than the fibres (``tone`` > 0 lightens towards white)."""

    paratracheal: Paratracheal = "none"
    halo_um: Span = (10.0, 25.0)  # sheath thickness around a vessel
    wing_ratio: Span = (1.0, 1.0)  # tangential extent of aliform/confluent wings / vessel diameter
    bands: Bands = "none"  # apotracheal bands
    band_spacing_um: Span = (0.0, 0.0)
    band_width_um: Span = (0.0, 0.0)
    band_continuity: float = 1.0  # 1: continuous lines; lower: broken into segments
    marginal_um: Span = (0.0, 0.0)  # band at the growth-ring boundary (0: none)
    tone: float = 0.25


@dataclass(frozen=True)
class Rays:
    width_um: Span  # common rays
    per_mm: Span  # tangential frequency of rays
    broad_width_um: Span | None = None  # a second, broad ray class (oak), or wide rays (maple)
    broad_spacing_mm: Span | None = None
    storied: bool = False  # storied woods: rays uniform in width and spacing
    tone: float = 0.12


@dataclass(frozen=True)
class Canals:
    """Axial intercellular canals: resin canals of pines, gum canals in tangential lines (Shorea)."""

    diameter_um: Span
    density_mm2: Span
    in_tangential_lines: bool = False
    colour: RGB = (235, 225, 200)


@dataclass(frozen=True)
class IncludedPhloem:
    """Islands of interxylary (included) phloem, e.g. Aquilaria: tangentially elongated, diffuse."""

    size_um: Span  # tangential length
    density_mm2: Span
    colour: RGB = (95, 80, 60)


@dataclass(frozen=True)
class Anatomy:
    """One known or open-set taxon. ``taxon`` is the class label (a genus, or a species where the CITES status
    differs within the genus); ``genus`` groups species for the genus-level call."""

    taxon: str
    genus: str
    ring_width_mm: Span
    latewood_dark: Span  # latewood darkening (0: rings invisible)
    rays: Rays
    colour_light: RGB  # heartwood colour range: each image draws a colour between these two
    colour_dark: RGB
    vessels: Vessels | None = None  # None: a softwood (no vessels)
    parenchyma: Parenchyma = field(default_factory=Parenchyma)
    canals: Canals | None = None
    included_phloem: IncludedPhloem | None = None
    streaks: Span = (0.0, 0.1)  # darker pigment streaks along the rings
    fibre_texture: float = 0.04  # fine cell texture amplitude
    sources: tuple[str, ...] = ()

    @property
    def softwood(self) -> bool:
        return self.vessels is None
