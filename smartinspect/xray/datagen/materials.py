"""Materials and their linear attenuation coefficients at the scanner's two effective energies.

Mass attenuation coefficients μ/ρ (cm²/g, total with coherent scattering) are the NIST tables of Hubbell & Seltzer
(NIST Standard Reference Database 126, XCOM-consistent) at 6 MeV (the "high" image) and 3 MeV (the "low" image),
standing in for the effective energies of a 6/3 MV dual-energy linac cargo scanner. Compounds without a NIST table
use the mixture rule μ/ρ = Σ wᵢ (μ/ρ)ᵢ over mass fractions wᵢ. Linear coefficients μ = μ/ρ · ρ in 1/cm.

Some densities are as-packed bulk densities (grain, tobacco, ore, cardboard is built from paper by thickness), as
noted; everything else is the solid material. See docs/datagen-xray.md for the table and sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (μ/ρ at 6 MeV, μ/ρ at 3 MeV) in cm²/g: NIST SRD 126, Tables 3 (elements) and 4 (compounds).
NIST_MU_RHO: dict[str, tuple[float, float]] = {
    "H": (4.498e-2, 6.921e-2),
    "C": (2.469e-2, 3.562e-2),
    "N": (2.511e-2, 3.579e-2),
    "O": (2.552e-2, 3.597e-2),
    "Al": (2.655e-2, 3.541e-2),
    "Fe": (3.057e-2, 3.621e-2),
    "Cu": (3.108e-2, 3.599e-2),
    "Pb": (4.391e-2, 4.234e-2),
    "water": (2.770e-2, 3.969e-2),
    "polyethylene": (2.760e-2, 4.045e-2),
    "concrete": (2.697e-2, 3.701e-2),
    "pyrex": (2.632e-2, 3.611e-2),
    "air": (2.522e-2, 3.581e-2),
}

# Mass fractions of the mixtures we build ourselves.
CELLULOSE = {"H": 0.0622, "C": 0.4445, "O": 0.4934}  # C6H10O5: wood, paper, cotton
RUBBER = {"H": 0.1184, "C": 0.8816}  # polyisoprene C5H8
COCAINE = {"H": 0.0698, "C": 0.6731, "N": 0.0462, "O": 0.2110}  # C17H21NO4 (heroin C21H23NO5 is within 2 %)
HEMATITE = {"Fe": 0.6994, "O": 0.3006}  # Fe2O3, iron ore
MOIST_CELLULOSE = {"cellulose": 0.87, "water": 0.13}  # grain, tobacco leaf: ~13 % moisture

ORGANIC, INORGANIC, METAL = 0, 1, 2
MATERIAL_CLASS_NAMES = ("organic", "inorganic", "metal")
# A_low / A_high boundaries between the classes (pure materials sit at ~1.44, 1.33-1.37, 0.96-1.24).
RATIO_ORGANIC_MIN = 1.40
RATIO_INORGANIC_MIN = 1.22


@dataclass(frozen=True)
class Material:
    """One material: linear attenuation coefficients (1/cm) at the high and low energy, density (g/cm³)."""

    name: str
    density: float
    mu_high: float
    mu_low: float

    @property
    def ratio(self) -> float:
        """μ_low / μ_high: what a dual-energy scanner measures to tell materials apart."""
        return self.mu_low / self.mu_high

    @property
    def material_class(self) -> int:
        return int(classify_ratio(np.array([self.ratio]))[0])


def mass_attenuation(composition: dict[str, float] | str) -> tuple[float, float]:
    """(μ/ρ high, μ/ρ low) in cm²/g of a NIST entry or a mixture {component: mass fraction}."""
    if isinstance(composition, str):
        return NIST_MU_RHO[composition]
    total = sum(composition.values())
    if abs(total - 1.0) > 0.01:
        raise ValueError(f"mass fractions must sum to 1, got {total:.4f} for {composition}")
    high = low = 0.0
    for part, weight in composition.items():
        part_high, part_low = mass_attenuation(CELLULOSE if part == "cellulose" else part)
        high += weight * part_high
        low += weight * part_low
    return high, low


def _material(name: str, composition: dict[str, float] | str, density: float) -> Material:
    high, low = mass_attenuation(composition)
    return Material(name, density, high * density, low * density)


MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        _material("steel", "Fe", 7.85),
        _material("aluminium", "Al", 2.70),
        _material("copper", "Cu", 8.96),
        _material("lead", "Pb", 11.35),
        _material("wood", CELLULOSE, 0.55),  # softwood pallets, crates, lumber
        _material("plywood", CELLULOSE, 0.75),  # hardwood container floor
        _material("paper", CELLULOSE, 0.80),  # paper, paperboard; cardboard = paper with scaled thickness
        _material("textile", CELLULOSE, 1.30),  # fibre; garments are textile at a low fill
        _material("plastic", "polyethylene", 0.95),
        _material("oil", "polyethylene", 0.85),  # diesel, lubricants
        _material("rubber", RUBBER, 1.15),
        _material("water", "water", 1.00),  # water and water-like liquids and food
        _material("grain", MOIST_CELLULOSE, 0.78),  # bulk (as loaded) density
        _material("glass", "pyrex", 2.50),
        _material("ceramic", "pyrex", 2.35),
        _material("stone", "concrete", 2.60),
        _material("ore", HEMATITE, 2.60),  # bulk iron ore
        _material("tobacco", MOIST_CELLULOSE, 0.25),  # cut filler as packed in cigarettes
        _material("drug", COCAINE, 1.20),  # compressed powder brick (1.1-1.3)
        _material("air", "air", 0.001205),
    )
}

CARDBOARD_DENSITY = 0.14  # g/cm³ of corrugated board: use "paper" with thickness x 0.14 / 0.80


def get_material(name: str) -> Material:
    """The material called ``name``; the error lists the valid names."""
    try:
        return MATERIALS[name]
    except KeyError:
        msg = f"unknown material {name!r}; valid: {sorted(MATERIALS)}"
        raise KeyError(msg) from None


def classify_ratio(ratio: np.ndarray) -> np.ndarray:
    """Material class per pixel from R = A_low / A_high: 0 organic, 1 inorganic, 2 metal. Same shape, uint8.

    Only meaningful where A_high is well above the noise (e.g. > 0.1).
    """
    ratio = np.asarray(ratio)
    out = np.full(ratio.shape, METAL, dtype=np.uint8)
    out[ratio >= RATIO_INORGANIC_MIN] = INORGANIC
    out[ratio >= RATIO_ORGANIC_MIN] = ORGANIC
    return out
