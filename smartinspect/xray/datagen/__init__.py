"""Physically grounded, seeded synthetic container X-ray scans (side-view dual-energy portal scanner).

Public API::

    from smartinspect.xray.datagen import XrayGenConfig, SyntheticScan, generate_scan, generate_dataset, CLASS_NAMES

See docs/datagen-xray.md for the physics model, parameters and their sources.
"""

from smartinspect.xray.datagen.config import XrayGenConfig
from smartinspect.xray.datagen.dataset import generate_dataset
from smartinspect.xray.datagen.generate import GENERATOR_VERSION, SyntheticScan, generate_scan
from smartinspect.xray.datagen.parts import CLASS_NAMES

__all__ = ["CLASS_NAMES", "GENERATOR_VERSION", "SyntheticScan", "XrayGenConfig", "generate_dataset", "generate_scan"]
