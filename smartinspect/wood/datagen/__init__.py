"""Seeded synthetic end-grain photos of timbers (anatomy-driven), for the wood screening model.

Public API::

    from smartinspect.wood.datagen import KNOWN_TAXA, OPEN_SET_TAXA, anatomy_of, render_end_grain

See docs/datagen-wood.md for the anatomy model, the acquisition model, the parameters and their sources.
"""

from smartinspect.wood.datagen.genera import KNOWN, KNOWN_TAXA, OPEN_SET, OPEN_SET_TAXA, anatomy_of
from smartinspect.wood.datagen.render import GENERATOR_VERSION, EndGrainImage, render_end_grain

__all__ = ["GENERATOR_VERSION", "KNOWN", "KNOWN_TAXA", "OPEN_SET", "OPEN_SET_TAXA", "EndGrainImage", "anatomy_of",
           "render_end_grain"]
