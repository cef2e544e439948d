"""Shared fixtures for the synthetic X-ray generator tests: scans and a tiny dataset, built once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smartinspect.xray.datagen import XrayGenConfig, generate_dataset

FAST = XrayGenConfig(pitch_mm=10.0)  # 4x fewer pixels: keeps dataset tests quick


PISTOL_SCAN = dict(container="20ft", force_empty=False, force_threats=["firearm"])


@pytest.fixture(scope="session")
def pistol_scan() -> tuple[int, dict]:
    """(seed, generate_scan keyword arguments) of a 20 ft scan whose forced firearm is a pistol, not a rifle."""
    from smartinspect.xray.datagen.scene import sample_scene

    for seed in range(40):
        scene = sample_scene(np.random.default_rng(seed).spawn(2)[0], FAST, **PISTOL_SCAN)
        if scene.threats[0].subtype == "pistol":
            return seed, PISTOL_SCAN
    raise AssertionError("no pistol in 40 seeds")


@pytest.fixture(scope="session")
def tiny_config() -> XrayGenConfig:
    """The configuration ``tiny_dataset`` was generated with."""
    return FAST


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six scans at 10 mm/px, dual energy, seed 11."""
    out = tmp_path_factory.mktemp("xray") / "ds"
    generate_dataset(out, n_scans=6, seed=11, config=FAST, progress=False)
    return out
