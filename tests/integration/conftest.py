"""Fixtures for tests that serve the real shipped X-ray model through the real app."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT

MODELS_DIR = Path(os.environ.get("SMARTINSPECT_TEST_MODELS_DIR", REPO_ROOT / "models"))


@pytest.fixture(scope="session")
def xray_registry():
    """The shipped models, loaded once per test session (the test fails if the shipped model is broken)."""
    from smartinspect.runtime import ModelRegistry

    registry = ModelRegistry.from_directory(MODELS_DIR, warm_up=False)
    assert registry.ready, f"shipped models in {MODELS_DIR} did not load: {registry.errors}"
    return registry


@pytest.fixture
def registry(xray_registry):
    return xray_registry


@pytest.fixture(scope="session")
def sample_scans():
    """A few generated scans: 40 ft with a firearm, 20 ft clean, 20 ft empty (declared empty)."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    rng = np.random.default_rng(99)
    return {
        "firearm": generate_scan(rng, XrayGenConfig(), container="40ft", force_empty=False,
                                 force_threats=["firearm"]),
        "clean": generate_scan(rng, XrayGenConfig(), container="20ft", force_empty=False, force_threats=[]),
        "empty": generate_scan(rng, XrayGenConfig(), container="20ft", force_empty=True, force_threats=[]),
    }
