"""Generate one synthetic scan: sample a scene, integrate it, expose the detector, label it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smartinspect.xray.datagen.config import XrayGenConfig
from smartinspect.xray.datagen.render import MIN_CARGO_PATH_MM, Canvas, LabelledBox, expose
from smartinspect.xray.datagen.scene import Scene, sample_scene

GENERATOR_VERSION = "1.0.0"

BoxTuple = tuple[int, int, int, int, int]  # class_id, x1, y1, x2, y2 (pixels, x2/y2 exclusive)


@dataclass
class SyntheticScan:
    """One scan and its ground truth.

    high, low: (H, W) uint16 transmitted counts at the high and low energy (low None when single-energy).
    boxes: one (class_id, x1, y1, x2, y2) per threat, pixels, x2/y2 exclusive.
    cargo_mask: (H, W) bool, True where cargo or a threat lies on the ray inside the container.
    interior_box: (x1, y1, x2, y2) pixels of the container's cargo space.
    """

    high: np.ndarray
    low: np.ndarray | None
    manifest: dict
    boxes: list[BoxTuple]
    cargo_mask: np.ndarray
    interior_box: tuple[int, int, int, int]


def generate_scan(rng: np.random.Generator, config: XrayGenConfig | None = None, *, container: str | None = None,
                  force_empty: bool | None = None, force_threats: list[str] | None = None,
                  steel_wall_mm: float | None = None, noise: bool = True) -> SyntheticScan:
    """Draw and render one scan.

    container: "20ft" | "40ft" (random when None). force_empty: True gives a declared-empty container with no cargo
    (threats only when forced), False a loaded one. force_threats: exactly these class names (may repeat; [] for
    none). steel_wall_mm: side-wall sheet thickness. noise: False renders an ideal detector (I0·exp(-A), no noise,
    no blur), for tests.
    """
    config = config or XrayGenConfig()
    scene_rng, noise_rng = rng.spawn(2)
    scene = sample_scene(scene_rng, config, container=container, force_empty=force_empty,
                         force_threats=force_threats, steel_wall_mm=steel_wall_mm)
    return render_scan(scene, config, noise_rng if noise else None)


def render_scan(scene: Scene, config: XrayGenConfig, noise_rng: np.random.Generator | None) -> SyntheticScan:
    """Integrate the scene's line integrals, expose both energies and build labels and the manifest."""
    canvas = Canvas(scene.grid)
    canvas.add_parts(scene.structure)
    for unit in scene.cargo:
        canvas.add_parts(unit.parts, cargo=True)
    labelled = [(t, canvas.add_threat(t)) for t in scene.threats]
    maps = canvas.maps
    high = expose(maps.high, scene.exposure_high, noise_rng)
    low = expose(maps.low, scene.exposure_low, noise_rng) if config.dual_energy else None
    interior = _interior_px(scene)
    x1, y1, x2, y2 = interior
    mask = np.zeros(high.shape, bool)
    mask[y1:y2, x1:x2] = maps.cargo_mm[y1:y2, x1:x2] > MIN_CARGO_PATH_MM
    width = high.shape[1]
    if scene.flip:
        high, mask = np.ascontiguousarray(high[:, ::-1]), np.ascontiguousarray(mask[:, ::-1])
        low = None if low is None else np.ascontiguousarray(low[:, ::-1])
        interior = (width - x2, y1, width - x1, y2)
    threats, boxes = [], []
    for threat, lb in labelled:
        if lb is None:
            continue
        box = _flip_box(lb, width) if scene.flip else lb.box
        boxes.append((lb.class_id, *box))
        threats.append({"class_id": threat.class_id, "class_name": threat.class_name, "subtype": threat.subtype,
                        "box": list(box), **threat.detail, **lb.visibility(maps.high)})
    manifest = _manifest(scene, config, threats, interior, high.shape)
    return SyntheticScan(high, low, manifest, boxes, mask, interior)


def _interior_px(scene: Scene) -> tuple[int, int, int, int]:
    """Pixels wholly inside the cargo space."""
    g, b = scene.grid, scene.interior
    return (math.ceil(g.x_to_col(b.x0)), math.ceil(g.y_to_row(b.y1)), math.floor(g.x_to_col(b.x1)),
            math.floor(g.y_to_row(b.y0)))


def _flip_box(lb: LabelledBox, width: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = lb.box
    return width - x2, y1, width - x1, y2


def _manifest(scene: Scene, config: XrayGenConfig, threats: list[dict], interior: tuple[int, int, int, int],
              shape: tuple[int, int]) -> dict:
    return {
        "generator_version": GENERATOR_VERSION,
        **scene.info,
        "cargo": [unit.describe() for unit in scene.cargo],
        "threats": threats,
        "interior_box": list(interior),
        "pitch_mm": config.pitch_mm,
        "i0": round(scene.exposure_high.i0, 1),
        "i0_low": round(scene.exposure_low.i0, 1) if config.dual_energy else None,
        "blur_sigma_px": round(scene.exposure_high.blur_sigma_px, 3),
        "width": int(shape[1]),
        "height": int(shape[0]),
    }
