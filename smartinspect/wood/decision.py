"""From scores to calls and a recommendation: open-set abstention, genus fallback, CITES, declared species.

Per photo: a photo that fails the wood-likeness gate, or whose features are far from every known class (open-set
distance above the calibrated threshold), abstains. Otherwise the most probable class is called when its calibrated
probability reaches the species threshold; else its genus when the genus probability (sum over its species) reaches
the genus threshold; else the photo abstains as low-confidence. The screening combines its photos (mean of the
calibrated probabilities) and abstains if any photo abstained or the photos disagree on the genus.

Recommendation: abstained -> expert_review; a CITES-listed (or possibly listed) call, or a CITES-listed declared
species -> lab_sample (never clear); a mismatch with the declared genus, a call whose CITES state is unknown (an
enrolled taxon taxa.yaml does not list), or a CITES taxon among the top-k at the look-alike threshold ->
expert_review; otherwise clear.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smartinspect.wood.gate import GateResult
from smartinspect.wood.inferencer import WoodModelParams
from smartinspect.wood.taxa import TaxonTable
from smartinspect.wood.types import CallLevel, ImageCall, ImageScores, Reason, Recommendation, TaxonProbability

NOT_WOOD, UNKNOWN_WOOD, LOW_CONFIDENCE, DISAGREE = "not_wood_like", "unlike_known_taxa", "low_confidence", \
    "images_disagree"


def top_k(probs: Sequence[float], params: WoodModelParams, table: TaxonTable) -> tuple[TaxonProbability, ...]:
    order = np.argsort(-np.asarray(probs))[: params.top_k]
    return tuple(TaxonProbability(params.taxa[i], params.genera[i], round(float(probs[i]), 6),
                                  table.cites_of(params.taxa[i]).appendix) for i in order)


def genus_probabilities(probs: Sequence[float], params: WoodModelParams) -> dict[str, float]:
    out: dict[str, float] = {}
    for genus, p in zip(params.genera, probs, strict=True):
        out[genus] = out.get(genus, 0.0) + float(p)
    return out


def call_from_probabilities(probs: Sequence[float], params: WoodModelParams,
                            table: TaxonTable) -> tuple[str | None, CallLevel]:
    """Species (or genus class) if confident, else the genus if its summed probability is, else nothing."""
    best = int(np.argmax(probs))
    taxon = params.taxa[best]
    if probs[best] >= params.species_threshold:
        is_species = "species" in table.classes.get(taxon, {})
        return taxon, CallLevel.species if is_species else CallLevel.genus
    genus, p = max(genus_probabilities(probs, params).items(), key=lambda kv: kv[1])
    if p >= params.genus_threshold:
        return genus, CallLevel.genus
    return None, CallLevel.unknown


def call_image(position: int, scores: ImageScores, gate: GateResult, params: WoodModelParams,
               table: TaxonTable) -> ImageCall:
    reason: str | None = None
    call, level = None, CallLevel.unknown
    if not gate.passed:
        reason = NOT_WOOD
    elif params.unlike_known(scores):
        reason = UNKNOWN_WOOD
    else:
        call, level = call_from_probabilities(scores.probabilities, params, table)
        reason = None if call else LOW_CONFIDENCE
    return ImageCall(position, top_k(scores.probabilities, params, table), call, level, call is None, reason,
                     round(scores.open_set_distance, 4), round(scores.energy, 4), round(scores.knn, 5),
                     {"passed": gate.passed, "failures": list(gate.failures), **gate.stats},
                     None if scores.anatomy is None else round(scores.anatomy, 4))


def combine_images(images: Sequence[ImageCall], scores: Sequence[ImageScores], params: WoodModelParams,
                   table: TaxonTable) -> tuple[tuple[TaxonProbability, ...], str | None, CallLevel, list[str]]:
    """(combined top-k, call, level, abstain reasons). Probabilities are averaged over photos that passed the gate."""
    wood_like = [s.probabilities for s, im in zip(scores, images, strict=True) if im.abstain_reason != NOT_WOOD]
    mean = np.mean(wood_like, axis=0) if wood_like else None
    combined = top_k(mean, params, table) if mean is not None else ()
    reasons = sorted({im.abstain_reason for im in images if im.abstain_reason})
    genera = {table.genus_of(im.call) for im in images if im.call}
    if len(genera) > 1:
        reasons.append(DISAGREE)
    if reasons or mean is None:
        return combined, None, CallLevel.unknown, reasons
    call, level = call_from_probabilities(mean, params, table)
    return combined, call, level, ([] if call else [LOW_CONFIDENCE])


_ABSTAIN_MESSAGES = {
    NOT_WOOD: "a photo does not look like an end-grain photo of wood (colour or texture); retake it",
    UNKNOWN_WOOD: "the wood is unlike every timber the model knows; it may be a genus it was not trained on",
    LOW_CONFIDENCE: "the model cannot decide between timbers with enough confidence",
    DISAGREE: "the photos point to different genera",
}


def recommend(*, abstain_reasons: Sequence[str], call: str | None, level: CallLevel,
              combined: Sequence[TaxonProbability], declared: str, params: WoodModelParams,
              table: TaxonTable) -> tuple[Recommendation, list[Reason], bool]:
    """(recommendation, reasons, declared_match). CITES-listed calls or declarations are never cleared."""
    reasons: list[Reason] = []
    declared_info = table.parse_declared(declared)
    declared_status = table.cites_of(declared_info.species or declared_info.genus or declared)
    call_genus = table.genus_of(call) if call else None
    match = call_genus is not None and call_genus == declared_info.genus
    for code in abstain_reasons:
        reasons.append(Reason(f"abstained_{code}", _ABSTAIN_MESSAGES[code]))
    call_status = table.cites_of(call) if call else None
    if call_status is not None and call_status.flagged:
        reasons.append(Reason("cites_listed", f"{call} is {call_status.state.replace('_', ' ')} on CITES Appendix "
                              f"{call_status.appendix}; a lab sample confirms the species",
                              {"taxon": call, "appendix": call_status.appendix}))
    if call_status is not None and call_status.state == "unknown":
        reasons.append(Reason("cites_unknown", f"{call} is not in the CITES table; an expert checks whether it is "
                              "listed", {"taxon": call}))
    if declared_status.flagged:
        reasons.append(Reason("declared_cites", f"the declared {declared!r} is CITES-listed (Appendix "
                              f"{declared_status.appendix}): check the permit and sample",
                              {"appendix": declared_status.appendix}))
    if declared_info.genus is None:
        reasons.append(Reason("declared_unrecognised", f"the declared species {declared!r} is not in the CITES "
                              "table; an expert compares it with the photos"))
    elif call and not match:
        reasons.append(Reason("declared_mismatch", f"declared {declared_info.genus}, the photos show {call_genus}",
                              {"declared_genus": declared_info.genus, "called_genus": call_genus}))
    lookalikes = [t for t in combined if t.cites_appendix and t.probability >= params.lookalike_threshold
                  and table.genus_of(t.taxon) != call_genus]
    if call and lookalikes:
        reasons.append(Reason("cites_lookalike", "a CITES-listed look-alike is among the top calls",
                              {"taxa": [t.taxon for t in lookalikes]}))
    if call and level == CallLevel.genus and "species" in str(table.genera[call_genus].get("call_level")):
        reasons.append(Reason("species_uncertain", f"only the genus {call_genus} is certain; the species is not"))
    codes = {r.code for r in reasons}
    if abstain_reasons:
        return Recommendation.expert_review, reasons, match
    if codes & {"cites_listed", "declared_cites"}:
        return Recommendation.lab_sample, reasons, match
    if codes & {"declared_mismatch", "declared_unrecognised", "cites_lookalike", "cites_unknown"}:
        return Recommendation.expert_review, reasons, match
    return Recommendation.clear, reasons, match
