"""Seeded synthetic customs documents (declaration, invoice, packing list, bill of lading) with ground truth.

Public API::

    from smartinspect.documents.datagen import DocGenConfig, generate_consignment, generate_dataset

See docs/datagen-documents.md.
"""

from smartinspect.documents.datagen.dataset import generate_dataset
from smartinspect.documents.datagen.generate import GENERATOR_VERSION, DocGenConfig, generate_consignment

__all__ = ["GENERATOR_VERSION", "DocGenConfig", "generate_consignment", "generate_dataset"]
