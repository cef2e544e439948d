"""One scan's scene: vehicle, container, cargo, threats and detector settings, all in world millimetres.

Sampling uses three independent random streams (layout, cargo, threats), so forcing a different set of threats
leaves the vehicle and the cargo unchanged: the same scene with and without its contraband can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartinspect.domain.containers import random_container_number
from smartinspect.xray.datagen.cargo import CargoUnit
from smartinspect.xray.datagen.clutter import place_clutter
from smartinspect.xray.datagen.config import XrayGenConfig
from smartinspect.xray.datagen.container import ContainerSpec, container_parts, get_container, interior_box
from smartinspect.xray.datagen.layout import Zone, plan_cargo, plan_stray_items
from smartinspect.xray.datagen.parts import CLASS_NAMES, Box, Part, Threat
from smartinspect.xray.datagen.raster import Grid
from smartinspect.xray.datagen.render import Exposure
from smartinspect.xray.datagen.threats import check_class_names, place_threats, plan_concealment, sample_threat_classes
from smartinspect.xray.datagen.truck import CAB_LENGTH, KINGPIN_OFFSET, TRACTOR_MODES, tractor_parts, trailer_parts


@dataclass
class Scene:
    """Everything needed to render one scan. ``info`` holds the declaration and labels for the manifest."""

    grid: Grid
    structure: list[Part]
    cargo: list[CargoUnit]
    threats: list[Threat]
    interior: Box
    exposure_high: Exposure
    exposure_low: Exposure
    flip: bool  # truck drove right-to-left: mirror the image
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class _Vehicle:
    parts: list[Part]
    container_x0: float
    deck: float
    width_mm: float
    tractor: str


def _vehicle(rng: np.random.Generator, config: XrayGenConfig, spec: ContainerSpec, wall_mm: float | None,
             ) -> _Vehicle:
    p = np.asarray(config.tractor_fractions, float)
    mode = TRACTOR_MODES[int(rng.choice(3, p=p / p.sum()))]
    deck = rng.uniform(1180.0, 1330.0)
    before, after = rng.uniform(*config.margin_mm, size=2)
    parts: list[Part] = []
    if mode == "none":
        trailer_x = before
    else:
        front = before if mode == "full" else -(CAB_LENGTH + rng.uniform(100.0, 600.0))
        tractor, kingpin = tractor_parts(front, deck, rng)
        parts += tractor
        trailer_x = kingpin - KINGPIN_OFFSET
    trailer, cx0, rear = trailer_parts(spec, trailer_x, deck, rng)
    parts += trailer + container_parts(spec, cx0, deck, rng, wall_mm=wall_mm)
    return _Vehicle(parts, cx0, deck, rear + after, mode)


def _exposure(rng: np.random.Generator, config: XrayGenConfig) -> Exposure:
    return Exposure(float(rng.uniform(*config.i0_range)), float(rng.uniform(*config.blur_sigma_px)),
                    config.dark_noise_counts, config.pulse_jitter, config.row_gain_jitter)


def _threat_classes(rng: np.random.Generator, config: XrayGenConfig, *, declared_empty: bool,
                    force_threats: list[str] | None) -> tuple[list[str], bool]:
    """(threat class names, stray undeclared cartons?) for a scan."""
    if force_threats is not None:
        return list(force_threats), False
    weights = dict(zip(CLASS_NAMES, config.threat_weights, strict=True))
    if declared_empty:
        if rng.random() >= config.declared_empty_hidden_fraction:
            return [], False
        if rng.random() < config.hidden_concealment_fraction:
            return ["concealment"], False
        if rng.random() < 0.6:
            items = {k: v for k, v in weights.items() if k != "concealment"}
            return sample_threat_classes(rng, items)[:2], False
        return [], True
    if rng.random() < config.contraband_fraction:
        return sample_threat_classes(rng, weights), False
    return [], False


def sample_scene(rng: np.random.Generator, config: XrayGenConfig, *, container: str | None = None,
                 force_empty: bool | None = None, force_threats: list[str] | None = None,
                 steel_wall_mm: float | None = None) -> Scene:
    """Draw one scan's scene. ``force_empty`` True: declared empty, no cargo (threats only if forced)."""
    if force_threats is not None:
        check_class_names(force_threats)
    if steel_wall_mm is not None and not 0.5 <= steel_wall_mm <= 20.0:
        raise ValueError(f"steel_wall_mm must be in [0.5, 20] mm, got {steel_wall_mm}")
    layout_rng, cargo_rng, threat_rng = rng.spawn(3)
    clutter_rng = rng.spawn(1)[0]
    kind = container or ("40ft" if layout_rng.random() < config.container_40ft_fraction else "20ft")
    spec = get_container(kind)
    container_no = random_container_number(layout_rng)
    vehicle = _vehicle(layout_rng, config, spec, steel_wall_mm)
    exposures = _exposure(layout_rng, config), _exposure(layout_rng, config)
    flip = bool(layout_rng.random() < 0.5)
    empty = bool(layout_rng.random() < config.empty_fraction) if force_empty is None else force_empty
    if force_empty and force_threats is None:
        force_threats = []
    classes, stray = _threat_classes(threat_rng, config, declared_empty=empty, force_threats=force_threats)
    interior = interior_box(spec, vehicle.container_x0, vehicle.deck)
    zones, threats = [Zone(interior.x0, interior.x1, interior.y0)], []
    if "concealment" in classes:
        concealment, zones = plan_concealment(threat_rng, interior)
        threats.append(concealment)
    if empty:
        units, declared, scenario = plan_stray_items(cargo_rng, zones, interior.y1) if stray else [], "EMPTY", "empty"
    else:
        plan = plan_cargo(cargo_rng, zones, interior.y1, container_len=spec.length_mm,
                          second_lane_fraction=config.second_lane_fraction)
        units, declared, scenario = plan.units, plan.declared, plan.scenario
    threats += place_threats(threat_rng, [c for c in classes if c != "concealment"], units, interior)
    if not empty:  # a fourth stream: forcing threats still leaves vehicle, cargo and clutter unchanged
        units = units + place_clutter(clutter_rng, units, interior, per_unit=config.clutter_per_unit)
    grid = Grid(vehicle.width_mm, config.scan_height_mm, config.pitch_mm)
    info = {"container_no": container_no, "container_type": kind, "declared_contents": declared,
            "declared_empty": empty, "is_empty": not units and not threats, "scenario": scenario,
            "tractor": vehicle.tractor, "flipped": flip,
            "side_wall_mm": spec.wall_mm if steel_wall_mm is None else steel_wall_mm}
    return Scene(grid, vehicle.parts, units, threats, interior, *exposures, flip, info)
