"""Calls and recommendations: open-set abstention, genus fallback, CITES never auto-cleared, declared species."""

from __future__ import annotations

import pytest

from smartinspect.wood.datagen import KNOWN_TAXA
from smartinspect.wood.decision import call_image, combine_images, recommend
from smartinspect.wood.gate import GateResult, GateThresholds
from smartinspect.wood.inferencer import OpenSetRule, WoodModelParams
from smartinspect.wood.taxa import load_taxa
from smartinspect.wood.types import CallLevel, ImageScores, Recommendation

TABLE = load_taxa()
PARAMS = WoodModelParams(
    taxa=KNOWN_TAXA, genera=tuple(TABLE.genus_of(t) for t in KNOWN_TAXA), temperature=1.0,
    open_set=OpenSetRule("distance", {"distance": 4.0}, {"distance": 10.0}), species_threshold=0.75, genus_threshold=0.5, lookalike_threshold=0.1, top_k=3, analysis_side=256, crop=128,
    grid=2, gate=GateThresholds(),
)
PASS = GateResult(True, ())


def scores(peaks: dict[str, float], distance: float = 5.0) -> ImageScores:
    rest = (1.0 - sum(peaks.values())) / (len(KNOWN_TAXA) - len(peaks))
    return ImageScores(tuple(peaks.get(t, rest) for t in KNOWN_TAXA), distance, -3.0, 0.05)


def screen(peaks: dict[str, float], declared: str, *, distance: float = 5.0, gate: GateResult = PASS):
    s = scores(peaks, distance)
    image = call_image(0, s, gate, PARAMS, TABLE)
    combined, call, level, abstain = combine_images([image], [s], PARAMS, TABLE)
    rec, reasons, match = recommend(abstain_reasons=abstain, call=call, level=level, combined=combined,
                                    declared=declared, params=PARAMS, table=TABLE)
    return image, call, level, rec, {r.code for r in reasons}, match


def test_confident_known_non_cites_timber_matching_the_declaration_is_cleared() -> None:
    image, call, level, rec, codes, match = screen({"Khaya": 0.97}, "Khaya ivorensis")
    assert (call, level, rec, match) == ("Khaya", CallLevel.genus, Recommendation.clear, True)
    assert not image.abstained and image.top_k[0].taxon == "Khaya" and len(image.top_k) == 3
    assert codes == set()


@pytest.mark.parametrize("threshold_offset", [0.01, 5.0])
def test_open_set_distance_above_the_threshold_abstains(threshold_offset: float) -> None:
    image, call, _, rec, codes, match = screen({"Khaya": 0.99}, "Khaya ivorensis",
                                               distance=PARAMS.open_set.threshold["distance"] + threshold_offset)
    assert image.abstained and image.abstain_reason == "unlike_known_taxa"
    assert call is None and rec == Recommendation.expert_review and not match
    assert "abstained_unlike_known_taxa" in codes


def test_distance_at_the_threshold_is_accepted() -> None:
    image, *_ = screen({"Khaya": 0.99}, "Khaya", distance=PARAMS.open_set.threshold["distance"])
    assert not image.abstained


@pytest.mark.parametrize(("score", "distance", "energy", "knn", "unlike"), [
    ("distance", 11.0, -20.0, 0.0, True), ("distance", 9.0, 5.0, 1.0, False),
    ("energy", 11.0, -9.0, 1.0, False), ("energy", 9.0, -1.0, 0.0, True),
    ("knn+energy", 99.0, -9.0, 0.02, False), ("knn+energy", 0.0, -9.0, 0.2, True),
    ("distance+energy", 11.0, -9.0, 0.0, True), ("distance+energy", 9.0, -1.0, 0.0, True),
    ("distance+energy", 9.0, -9.0, 0.0, False),
])
def test_open_set_rule_normalises_and_combines_the_scores(score, distance, energy, knn, unlike) -> None:
    rule = OpenSetRule(score, {"distance": 4.0, "energy": -10.0, "knn": 0.01},
                       {"distance": 10.0, "energy": -5.0, "knn": 0.1})
    assert (rule.value({"distance": distance, "energy": energy, "knn": knn}) > 1.0) == unlike
    assert OpenSetRule.from_dict(rule.to_dict()) == rule


def test_open_set_rule_refuses_unknown_scores() -> None:
    with pytest.raises(ValueError, match="valid scores"):
        OpenSetRule("entropy", {"entropy": 0.0}, {"entropy": 1.0})


def test_failed_gate_abstains_as_not_wood() -> None:
    image, call, _, rec, codes, _ = screen({"Quercus": 0.99}, "Quercus robur",
                                           gate=GateResult(False, ("not_coloured",)))
    assert image.abstain_reason == "not_wood_like" and call is None
    assert rec == Recommendation.expert_review and "abstained_not_wood_like" in codes


def test_species_uncertain_falls_back_to_the_genus() -> None:
    _, call, level, rec, codes, _ = screen({"Dalbergia nigra": 0.45, "Dalbergia latifolia": 0.45}, "Dalbergia")
    assert (call, level) == ("Dalbergia", CallLevel.genus)
    assert "species_uncertain" in codes and rec == Recommendation.lab_sample


def test_genus_uncertain_abstains_as_low_confidence() -> None:
    image, call, _, rec, _, _ = screen({"Khaya": 0.4, "Swietenia": 0.35}, "Khaya")
    assert image.abstain_reason == "low_confidence" and call is None and rec == Recommendation.expert_review


@pytest.mark.parametrize("taxon", [t for t in KNOWN_TAXA if TABLE.cites_of(t).flagged])
@pytest.mark.parametrize("declared", ["Khaya ivorensis", "Quercus robur", "Dalbergia nigra"])
def test_a_cites_listed_call_is_never_cleared(taxon: str, declared: str) -> None:
    _, call, _, rec, codes, _ = screen({taxon: 0.99}, declared)
    assert call is not None and rec == Recommendation.lab_sample and "cites_listed" in codes


def test_a_cites_listed_declaration_is_never_cleared_even_when_the_call_is_not_listed() -> None:
    _, call, _, rec, codes, match = screen({"Khaya": 0.99}, "Swietenia macrophylla")
    assert call == "Khaya" and rec == Recommendation.lab_sample and not match
    assert {"declared_cites", "declared_mismatch"} <= codes


def test_a_cites_look_alike_in_the_top_k_blocks_clear() -> None:
    _, call, _, rec, codes, _ = screen({"Khaya": 0.8, "Swietenia": 0.15}, "Khaya")
    assert call == "Khaya" and rec == Recommendation.expert_review and "cites_lookalike" in codes


def test_declared_mismatch_and_unrecognised_declarations_go_to_an_expert() -> None:
    assert screen({"Quercus": 0.99}, "Fraxinus excelsior")[3] == Recommendation.expert_review
    _, _, _, rec, codes, _ = screen({"Quercus": 0.99}, "Tilia cordata")
    assert rec == Recommendation.expert_review and "declared_unrecognised" in codes


def test_photos_that_disagree_abstain() -> None:
    a, b = scores({"Quercus": 0.99}), scores({"Fraxinus": 0.99})
    images = [call_image(i, s, PASS, PARAMS, TABLE) for i, s in enumerate([a, b])]
    _, call, _, abstain = combine_images(images, [a, b], PARAMS, TABLE)
    assert call is None and abstain == ["images_disagree"]


def test_combined_probabilities_are_the_mean_over_wood_like_photos() -> None:
    a, b = scores({"Quercus": 0.9}), scores({"Quercus": 0.7})
    not_wood = scores({"Pinus": 0.99})
    images = [call_image(0, a, PASS, PARAMS, TABLE), call_image(1, b, PASS, PARAMS, TABLE),
              call_image(2, not_wood, GateResult(False, ("noise_like",)), PARAMS, TABLE)]
    combined, call, _, abstain = combine_images(images, [a, b, not_wood], PARAMS, TABLE)
    assert combined[0].taxon == "Quercus" and combined[0].probability == pytest.approx(0.8)
    assert call is None and abstain == ["not_wood_like"]  # one bad photo: the screening abstains


def test_per_class_thresholds_apply_to_the_predicted_class_and_fall_back_to_the_global_one() -> None:
    rule = OpenSetRule("knn", {"knn": 0.01}, {"knn": 0.1},
                       {"Cedrela": {"reference": {"knn": 0.05}, "threshold": {"knn": 0.3}}})
    assert rule.value({"knn": 0.2}, "Cedrela") <= 1.0  # inside Cedrela's own (wider) range
    assert rule.value({"knn": 0.2}, "Khaya") > 1.0  # Khaya has no entry: the global threshold
    assert rule.value({"knn": 0.2}) > 1.0
    assert OpenSetRule.from_dict(rule.to_dict()) == rule
    params = WoodModelParams(**{**PARAMS.__dict__, "open_set": rule})
    cedrela = ImageScores(tuple(0.9 if t == "Cedrela" else 0.1 / (len(KNOWN_TAXA) - 1) for t in KNOWN_TAXA),
                          5.0, -3.0, 0.2)
    khaya = ImageScores(tuple(0.9 if t == "Khaya" else 0.1 / (len(KNOWN_TAXA) - 1) for t in KNOWN_TAXA),
                        5.0, -3.0, 0.2)
    assert not params.unlike_known(cedrela) and params.unlike_known(khaya)


def test_per_class_entries_must_cover_the_rule_scores() -> None:
    with pytest.raises(ValueError, match="Cedrela:energy"):
        OpenSetRule("knn+energy", {"knn": 0.0, "energy": 0.0}, {"knn": 1.0, "energy": 1.0},
                    {"Cedrela": {"reference": {"knn": 0.0}, "threshold": {"knn": 1.0}}})


def test_a_call_whose_cites_state_is_unknown_never_clears() -> None:
    """An enrolled taxon that taxa.yaml does not list (issue 25): called confidently and declared as itself, it
    still goes to an expert."""
    taxa = ("Tilia cordata", "Quercus")
    table = TABLE.with_taxa(taxa)
    params = WoodModelParams(taxa=taxa, genera=("Tilia", "Quercus"), temperature=1.0,
                             open_set=OpenSetRule("knn", {"knn": 0.1}, {"knn": 0.5}), species_threshold=0.5,
                             genus_threshold=0.5, lookalike_threshold=0.0, top_k=3, analysis_side=256, crop=128,
                             grid=3, gate=GateThresholds())
    s = ImageScores((0.99, 0.01), 0.2, -3.0, 0.2)
    image = call_image(0, s, PASS, params, table)
    combined, call, level, abstain = combine_images([image], [s], params, table)
    rec, reasons, match = recommend(abstain_reasons=abstain, call=call, level=level, combined=combined,
                                    declared="Tilia cordata", params=params, table=table)
    assert call == "Tilia cordata" and match and rec == Recommendation.expert_review
    assert "cites_unknown" in {r.code for r in reasons}
