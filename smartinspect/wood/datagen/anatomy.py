"""Anatomy parameters of a timber, as the generator uses them: what a 10-14x loupe shows on a sanded end grain.

Every range is (low, high) and is sampled uniformly per image (per ring, per vessel where it says so). Sizes are
micrometres, frequencies per mm or per mm^2, colours sRGB 0-255. The values per genus are in ``genera.py`` with
their sources (docs/datagen-wood.md explains each field and gives the IAWA feature numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

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


def _log_mid(span: Span | None) -> float:
    """log(1 + midpoint) of a range (0 for an absent one): sizes and frequencies span orders of magnitude."""
    return 0.0 if span is None else float(np.log1p((span[0] + span[1]) / 2))


def descriptor(anatomy: Anatomy, draws: dict) -> dict[str, float]:
    """What a wood anatomist would code for this photo (IAWA-style features), as numbers: per-photo draws where the
    generator draws them (vessel size and density, latewood, streaks), the anatomy's features otherwise.

    Recorded in every end-grain photo's parameters (``anatomy_descriptor``). Training can ask the network to predict
    it from pixels (``model.attribute_weight``), so that its features describe anatomy rather than only what tells
    the 16 known classes apart; chimeras and swaps vary the features independently of the class.
    """
    v, par, rays = anatomy.vessels, anatomy.parenchyma, anatomy.rays
    out = {
        "vessels": float(v is not None),
        "ring_porous": float(v is not None and v.porosity == "ring"),
        "semi_ring_porous": float(v is not None and v.porosity == "semi_ring"),
        "log_vessel_diameter": float(np.log1p(draws.get("vessel_diameter_um", 0.0))),
        "log_vessel_density": float(np.log1p(draws.get("vessel_density_mm2", 0.0))),
        "log_ew_vessel_diameter": float(np.log1p(draws.get("ew_vessel_diameter_um", 0.0))),
        "multiples": v.multiples if v else 0.0,
        "clusters": v.clusters if v else 0.0,
        "tyloses": v.tyloses if v else 0.0,
        "deposits": v.deposits if v else 0.0,
        "white_deposits": v.white_deposits if v else 0.0,
        "diagonal": float(v is not None and v.arrangement == "diagonal"),
        "flame": float(v is not None and v.arrangement == "flame"),
        "ulmiform": float(v is not None and v.arrangement == "ulmiform"),
        "log_halo": _log_mid(par.halo_um) if par.paratracheal != "none" else 0.0,
        "vasicentric": float(par.paratracheal == "vasicentric"),
        "aliform": float(par.paratracheal == "aliform"),
        "confluent": float(par.paratracheal == "confluent"),
        "log_wing_ratio": _log_mid(par.wing_ratio) if par.paratracheal in ("aliform", "confluent") else 0.0,
        "bands_fine": float(par.bands == "fine"),
        "bands_wide": float(par.bands == "wide"),
        "bands_aggregates": float(par.bands == "aggregates"),
        "log_band_spacing": _log_mid(par.band_spacing_um) if par.bands != "none" else 0.0,
        "log_marginal": _log_mid(par.marginal_um),
        "parenchyma_tone": par.tone,
        "log_ray_width": _log_mid(rays.width_um),
        "log_rays_per_mm": _log_mid(rays.per_mm),
        "log_broad_ray_width": _log_mid(rays.broad_width_um),
        "storied": float(rays.storied),
        "canals": float(anatomy.canals is not None),
        "canal_lines": float(anatomy.canals is not None and anatomy.canals.in_tangential_lines),
        "included_phloem": float(anatomy.included_phloem is not None),
        "log_ring_width": _log_mid(anatomy.ring_width_mm),
        "latewood_dark": float(draws.get("latewood_dark", 0.0)),
        "streaks": float(draws.get("streaks", 0.0)),
    }
    return {k: round(float(x), 4) for k, x in out.items()}


DESCRIPTOR_KEYS: tuple[str, ...] = tuple(descriptor(
    Anatomy("x", "x", (1, 2), (0, 0), Rays((1, 2), (1, 2)), (0, 0, 0), (0, 0, 0)), {}))
