import math

import numpy as np
import pytest

from smartinspect.lifecycle.calibration import brier_score, ece_statistic, expected_calibration_error, mean_statistic
from smartinspect.lifecycle.gate import (
    GatedMetric,
    Outcome,
    bootstrap_no_worse_p,
    compare_models,
    judge_metric,
    render_table,
)

GATES = [GatedMetric("recall_firearm", True), GatedMetric("false_alarm_rate", False, tolerance=0.01),
         GatedMetric("brier", False)]
CHAMPION = {"recall_firearm": 0.60, "false_alarm_rate": 0.05, "brier": 0.20, "map50": 0.4}


@pytest.mark.parametrize(
    ("metric", "champion", "challenger", "expected"),
    [
        (GatedMetric("r", True), 0.5, 0.6, Outcome.BETTER),
        (GatedMetric("r", True), 0.5, 0.5, Outcome.SAME),
        # The same network re-exported: floating-point noise in the 10th decimal is not a change either way.
        (GatedMetric("brier", False), 0.0243016201458144, 0.024301620542000642, Outcome.SAME),
        (GatedMetric("brier", False), 0.024301620542000642, 0.0243016201458144, Outcome.SAME),
        (GatedMetric("brier", False), 0.0243, 0.0244, Outcome.WORSE),
        (GatedMetric("r", True), 0.5, 0.4, Outcome.WORSE),
        (GatedMetric("fa", False), 0.05, 0.04, Outcome.BETTER),
        (GatedMetric("fa", False), 0.05, 0.055, Outcome.WORSE),
        (GatedMetric("fa", False, tolerance=0.01), 0.05, 0.055, Outcome.SAME),
        (GatedMetric("r", True), math.nan, math.nan, Outcome.NOT_MEASURED),
        (GatedMetric("r", True), 0.5, math.nan, Outcome.WORSE),
        (GatedMetric("r", True), None, 0.2, Outcome.BETTER),
    ],
)
def test_judge_metric(metric, champion, challenger, expected):
    assert judge_metric(metric, champion, challenger) is expected


def test_no_worse_anywhere_and_better_once_passes():
    challenger = {"recall_firearm": 0.65, "false_alarm_rate": 0.055, "brier": 0.20, "map50": 0.3}
    decision = compare_models(GATES, challenger=challenger, champion=CHAMPION, informative=["map50"])
    assert decision.passed and decision.failed_metrics == []
    assert "better on recall_firearm" in decision.reasons[0]
    assert decision.informative["map50"] == (0.4, 0.3)  # informative metrics never decide


def test_one_worse_metric_refuses_and_the_table_says_which():
    challenger = {"recall_firearm": 0.90, "false_alarm_rate": 0.05, "brier": 0.25}
    decision = compare_models(GATES, challenger=challenger, champion=CHAMPION)
    assert not decision.passed
    assert decision.failed_metrics == ["brier"]
    table = render_table(decision, champion_label="champion v1", challenger_label="challenger v2")
    brier_row = next(line for line in table.splitlines() if line.startswith("| brier "))
    assert "0.2000 | 0.2500 | +0.0500 | WORSE" in brier_row
    assert "**REFUSED**" in table and "brier: challenger 0.2500 is higher than champion 0.2000" in table


def test_equal_everywhere_is_refused_for_not_being_better():
    decision = compare_models(GATES, challenger=dict(CHAMPION), champion=CHAMPION)
    assert not decision.passed
    assert decision.reasons == ("better on no gated metric (a challenger must improve at least one)",)


def test_first_promotion_needs_a_measurable_challenger():
    assert compare_models(GATES, challenger=CHAMPION, champion=None).passed
    empty = {g.name: math.nan for g in GATES}
    assert not compare_models(GATES, challenger=empty, champion=None).passed


def test_missing_gated_metric_is_an_error_naming_it():
    with pytest.raises(KeyError, match="brier"):
        compare_models(GATES, challenger={"recall_firearm": 1.0, "false_alarm_rate": 0.0}, champion=CHAMPION)


def test_gate_config_is_validated():
    assert GatedMetric.from_config("ece", {"higher_is_better": False, "tolerance": 0.02}).tolerance == 0.02
    with pytest.raises(ValueError, match="higher_is_better"):
        GatedMetric.from_config("ece", {"tolerance": 0.02})
    with pytest.raises(ValueError, match="tolerance"):
        GatedMetric("ece", False, tolerance=-1.0)


def test_decision_serialises_without_nan():
    decision = compare_models(GATES, challenger={**CHAMPION, "recall_firearm": math.nan}, champion=CHAMPION)
    row = decision.to_dict()["rows"][0]
    assert row["challenger"] is None and row["outcome"] == "WORSE"


def test_brier_and_ece():
    assert brier_score([0.0, 1.0], [0, 1]) == 0.0
    assert brier_score([0.0, 0.0], [1, 1]) == 1.0
    assert expected_calibration_error([0.0, 0.0, 0.0], [1, 1, 1]) == 1.0
    # two bins, each perfectly calibrated on average
    assert expected_calibration_error([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75],
                                      [0, 0, 0, 1, 1, 1, 1, 0]) == pytest.approx(0.0)
    assert math.isnan(brier_score([], []))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score([1.5], [1])


def _rate(events):
    from smartinspect.lifecycle.gate import EventRate

    return EventRate(events)


PAIRED = GatedMetric("misidentification_rate", higher_is_better=False, paired_alpha=0.25)


def test_event_rate_is_its_rate_and_keeps_the_items():
    rate = _rate([1, 0, None, 0, True])
    assert float(rate) == pytest.approx(0.5) and rate.events == (1, 0, None, 0, 1)
    assert math.isnan(_rate([None, None]))


def test_mcnemar_counts_discordant_items_and_gives_the_exact_one_sided_p():
    from smartinspect.lifecycle.gate import mcnemar_worse_p

    champion = _rate([1, 1, 0, 0, 0, 0, None, 1])
    challenger = _rate([1, 0, 1, 1, 1, 0, 1, 1])  # item 6 does not count: the champion has no value there
    p, b, c = mcnemar_worse_p(champion, challenger)
    assert (b, c) == (3, 1) and p == pytest.approx(5 / 16)  # P(X >= 3), X ~ Binomial(4, 1/2)
    with pytest.raises(ValueError, match="different items"):
        mcnemar_worse_p(champion, _rate([0]))


def test_paired_rate_refuses_a_real_increase_but_not_noise():
    base = [0] * 1600
    champion = _rate([1] * 20 + base[20:])
    # two more photos wrong, on a background of photos the two models get wrong differently: noise
    noisy = _rate([0] * 4 + [1] * 16 + [1] * 6 + base[26:])
    assert judge_metric(PAIRED, champion, noisy) is Outcome.SAME
    # the same 20 plus 4 new ones, and no photo fixed: a real increase (p = 1/16)
    worse = _rate([1] * 24 + base[24:])
    assert judge_metric(PAIRED, champion, worse) is Outcome.WORSE
    fixed = _rate([0] * 3 + [1] * 17 + base[20:])
    assert judge_metric(PAIRED, champion, fixed) is Outcome.BETTER
    decision = compare_models(
        [PAIRED], challenger={"misidentification_rate": worse}, champion={"misidentification_rate": champion})
    assert not decision.passed and "4 items only the challenger got wrong, 0 only the champion" in decision.reasons[0]
    assert "paired p <= 0.25 (+4/-0, p = 0.06)" in render_table(decision, champion_label="a", challenger_label="b")


def test_paired_rate_of_good_events_is_worse_when_the_champion_alone_found_them():
    """Recall as a paired rate (X-ray objects found, 1 = found): the items that went wrong for the challenger only
    are those the champion found and it missed."""
    recall = GatedMetric("recall_firearm", higher_is_better=True, paired_alpha=0.25)
    champion = _rate([1] * 8)
    one_lost = _rate([1] * 7 + [0])  # 7 of 8: one object, no evidence (p = 0.5)
    assert judge_metric(recall, champion, one_lost) is Outcome.SAME
    four_lost = _rate([1] * 4 + [0] * 4)  # p = 1/16
    assert judge_metric(recall, champion, four_lost) is Outcome.WORSE
    decision = compare_models([recall], challenger={"recall_firearm": four_lost},
                              champion={"recall_firearm": champion})
    assert "4 items only the challenger got wrong, 0 only the champion" in decision.reasons[0]
    assert "(+4/-0, p = 0.06)" in render_table(decision, champion_label="a", challenger_label="b")
    gained = _rate([0, 0, 0, 1, 1, 1, 1, 1])
    assert judge_metric(recall, gained, champion) is Outcome.BETTER


def test_paired_metric_needs_per_item_events_and_a_sane_config():
    with pytest.raises(TypeError, match="EventRate"):
        judge_metric(PAIRED, 0.01, 0.02)
    with pytest.raises(ValueError, match="paired_alpha"):
        GatedMetric("x", higher_is_better=False, paired_alpha=1.5)
    assert GatedMetric.from_config("x", {"higher_is_better": False, "paired_alpha": 0.25}).paired_alpha == 0.25


def _looped_ece(scores, labels, bins):
    """The textbook form: bin share x |mean score - positive rate|, summed over non-empty bins."""
    s, y = np.asarray(scores, float), np.asarray(labels, float)
    index = np.minimum((s * bins).astype(int), bins - 1)
    return sum((index == b).mean() * abs(s[index == b].mean() - y[index == b].mean()) for b in np.unique(index))


def _calibrated(rng, n, *, overconfidence=0.0):
    """n top-class probabilities and whether the call was right; right with the stated probability minus
    ``overconfidence``."""
    confidence = rng.uniform(0.5, 1.0, n)
    correct = rng.random(n) < np.clip(confidence - overconfidence, 0, 1)
    return confidence, correct


def test_ece_statistic_is_the_ece_and_recomputes_on_resamples():
    rng = np.random.default_rng(1)
    confidence, correct = _calibrated(rng, 300)
    stat = ece_statistic(confidence, correct, bins=15)
    assert float(stat) == pytest.approx(_looped_ece(confidence, correct, 15))
    assert float(stat) == pytest.approx(expected_calibration_error(confidence, correct, bins=15))
    # A resample given as item counts: the ECE of the items repeated that many times.
    counts = rng.multinomial(300, np.full(300, 1 / 300))
    repeated = np.repeat(np.arange(300), counts)
    assert stat.on_weights(counts[None, :].astype(float))[0] == pytest.approx(
        _looped_ece(confidence[repeated], correct[repeated], 15))
    brier = mean_statistic((confidence - correct) ** 2)
    assert float(brier) == pytest.approx(brier_score(confidence, correct))
    assert math.isnan(ece_statistic([], [], bins=15))


ECE_GATE = GatedMetric("ece", higher_is_better=False, paired_alpha=0.25)


def test_paired_bootstrap_refuses_worse_calibration():
    rng = np.random.default_rng(7)
    confidence, correct = _calibrated(rng, 1600)
    champion = ece_statistic(confidence, correct, bins=15)
    # Overconfident: every probability 0.05 above the rate at which it is right.
    worse = ece_statistic(np.clip(confidence + 0.05, 0, 1), correct, bins=15)
    assert float(worse) > float(champion) + 0.02
    assert judge_metric(ECE_GATE, champion, worse) is Outcome.WORSE
    assert judge_metric(ECE_GATE, worse, champion) is Outcome.BETTER
    assert judge_metric(ECE_GATE, champion, champion) is Outcome.SAME
    p_worse = bootstrap_no_worse_p(champion, worse, higher_is_better=False)
    assert p_worse < 0.05
    decision = compare_models([ECE_GATE], challenger={"ece": worse}, champion={"ece": champion})
    assert not decision.passed and f"no worse on only {p_worse:.1%} of 2000 paired bootstrap" in decision.reasons[0]
    assert f"paired bootstrap p <= 0.25 (p = {p_worse:.2f})" in render_table(decision, champion_label="a",
                                                                                challenger_label="b")
    # Reproducible: the resamples are drawn with a fixed seed.
    assert bootstrap_no_worse_p(champion, worse, higher_is_better=False) == p_worse


def test_noise_level_ece_differences_pass_about_as_often_as_alpha_allows():
    """Challengers exactly as well calibrated as the champion (both draws of the same model on the same photos'
    outcomes) are refused at most about alpha of the time; with a tolerance of 0, half of them were."""
    refused = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        confidence = rng.uniform(0.5, 1.0, 1600)
        correct = rng.random(1600) < confidence
        a = ece_statistic(np.clip(confidence + rng.normal(0, 0.02, 1600), 0, 1), correct, bins=15)
        b = ece_statistic(np.clip(confidence + rng.normal(0, 0.02, 1600), 0, 1), correct, bins=15)
        refused += judge_metric(ECE_GATE, a, b) is Outcome.WORSE
    assert refused <= 0.3 * 40, refused


def test_paired_statistics_need_the_same_items():
    with pytest.raises(ValueError, match="different items"):
        bootstrap_no_worse_p(mean_statistic([0.1, 0.2]), mean_statistic([0.1]), higher_is_better=False)
    with pytest.raises(TypeError, match="ResampledStatistic"):
        judge_metric(ECE_GATE, 0.01, 0.02)


def test_a_limit_refuses_even_the_first_promotion_and_a_challenger_no_worse_than_its_champion():
    nonwood = GatedMetric.from_config("nonwood_accepted_rate", {"higher_is_better": False, "tolerance": 0, "limit": 0})
    first = compare_models([nonwood], challenger={"nonwood_accepted_rate": 0.02}, champion=None)
    assert not first.passed and "breaks the limit (at most 0)" in first.reasons[0]
    assert compare_models([nonwood], challenger={"nonwood_accepted_rate": 0.0}, champion=None).passed
    # the champion broke it too: "no worse" is not enough
    assert judge_metric(nonwood, 0.05, 0.02) is Outcome.WORSE
    table = render_table(first, champion_label="none", challenger_label="v1")
    assert "| nonwood_accepted_rate | lower | 0, <= 0 |" in table
    with pytest.raises(ValueError, match="limit"):
        GatedMetric.from_config("x", {"higher_is_better": True, "bound": 1})
