"""One screening end to end, without storage: analysis views -> model -> gate -> calls -> recommendation.

The model runs first: one of the gate's checks, the colour range of the called class, needs the call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from smartinspect.wood.decision import call_image, combine_images, recommend
from smartinspect.wood.inferencer import WoodClassifier
from smartinspect.wood.taxa import TaxonTable, load_taxa
from smartinspect.wood.types import ScreeningResult

if TYPE_CHECKING:
    from smartinspect.wood.enrolled import EnrolledClassifier


def screen_views(classifier: WoodClassifier | EnrolledClassifier, views: Sequence[np.ndarray], *,
                 declared_species: str, table: TaxonTable | None = None) -> ScreeningResult:
    """Screen the analysis views (one per photo, (side, side, 3) uint8 RGB) of one consignment."""
    if not views:
        raise ValueError("a screening needs at least one photo")
    # an enrolled collection brings its own table: taxa.yaml plus the taxa it enrolled (CITES state unknown)
    table = table or getattr(classifier, "table", None) or load_taxa()
    params = classifier.params
    start = time.perf_counter()
    scores = classifier.score_views(list(views))
    scored = time.perf_counter()
    gates = [params.wood_likeness(v, s) for v, s in zip(views, scores, strict=True)]
    gated = time.perf_counter()
    images = tuple(call_image(i, s, g, params, table) for i, (s, g) in enumerate(zip(scores, gates, strict=True)))
    combined, call, level, abstain = combine_images(images, scores, params, table)
    recommendation, reasons, match = recommend(abstain_reasons=abstain, call=call, level=level, combined=combined,
                                               declared=declared_species, params=params, table=table)
    call_status = table.cites_of(call) if call else None
    declared = table.parse_declared(declared_species)
    declared_status = table.cites_of(declared.species or declared.genus or declared_species)
    end = time.perf_counter()
    return ScreeningResult(
        images=images, top_k=combined, call=call, call_level=level,
        call_genus=table.genus_of(call) if call else None, abstained=call is None,
        cites_state=call_status.state if call_status else "unknown",
        cites_appendix=call_status.appendix if call_status else None,
        cites_note=call_status.note if call_status else "",
        declared_species=declared_species, declared_genus=declared.genus,
        declared_cites_appendix=declared_status.appendix, declared_match=match,
        recommendation=recommendation, reasons=tuple(reasons),
        model_name=classifier.name, model_version=classifier.version,
        timings_ms={"model": round((scored - start) * 1e3, 2), "gate": round((gated - scored) * 1e3, 2),
                    "decision": round((end - gated) * 1e3, 2)},
    )
