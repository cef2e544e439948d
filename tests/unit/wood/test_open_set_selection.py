"""Choosing the open-set rule on validation photos: a global threshold, or one per predicted class when a single
threshold would send too many photos of one (more variable) class to the experts."""

from __future__ import annotations

import numpy as np

from smartinspect.wood.evaluate import PhotoOutcome
from smartinspect.wood.train.openset import _rule_at, choose_open_set_rule

TAXA = ["Cedrela", "Khaya", "Quercus"]


def outcome(name: str, kind: str, knn: float, rng) -> PhotoOutcome:
    probs = np.full(len(TAXA), 0.05)
    probs[TAXA.index(name) if name in TAXA else 0] = 0.9  # the unknown genus looks most like Cedrela
    return PhotoOutcome(name, kind, probs, distance=float(rng.normal(5, 1)), energy=float(rng.normal(-8, 1)),
                        knn=knn, abstained=False, abstain_reason=None, call=None)


def photos(seed: int = 0):
    rng = np.random.default_rng(seed)
    known = [outcome("Cedrela", "known", float(rng.normal(0.30, 0.08)), rng) for _ in range(100)]  # variable class
    known += [outcome(t, "known", float(rng.normal(0.10, 0.02)), rng) for t in ("Khaya", "Quercus") for _ in range(100)]
    unknown = [outcome("Tilia", "open_set", float(rng.normal(0.55, 0.02)), rng) for _ in range(150)]
    return known, unknown


def acceptance(rule, these, taxon: str | None = None) -> float:
    kept = [rule.value(o.scores(), TAXA[int(np.argmax(o.probabilities))]) <= 1.0 for o in these
            if taxon is None or o.name == taxon]
    return float(np.mean(kept))


def test_without_a_class_floor_the_rule_that_abstains_most_wins_and_starves_the_variable_class() -> None:
    known, unknown = photos()
    rule, report = choose_open_set_rule(known, unknown, acceptance=0.9, taxa=TAXA, min_class_acceptance=0.0)
    assert not rule.per_class
    assert acceptance(rule, unknown) < 0.1
    assert abs(acceptance(rule, known) - 0.9) < 0.02
    assert acceptance(rule, known, "Cedrela") < 0.8  # one threshold rejects the spread-out class
    assert report["select_knn_worst_class_accepted"] < 0.8


def test_a_class_floor_selects_per_class_thresholds_that_keep_every_class() -> None:
    known, unknown = photos()
    rule, report = choose_open_set_rule(known, unknown, acceptance=0.9, taxa=TAXA, min_class_acceptance=0.85)
    assert set(rule.per_class) == set(TAXA)
    assert abs(acceptance(rule, known) - 0.9) < 0.02
    assert min(acceptance(rule, known, t) for t in TAXA) >= 0.85
    assert report["select_knn_per_class_worst_class_accepted"] >= 0.85
    assert acceptance(rule, unknown) < 0.1
    # Each class's threshold follows its own centre and spread: the variable class gets the wider one.
    knn = {t: rule.per_class[t]["threshold"]["knn"] for t in TAXA}
    assert knn["Cedrela"] > 0.3 > 0.15 > knn["Khaya"] > 0.1 and knn["Quercus"] > 0.1


def test_per_class_thresholds_come_from_each_class_centre_and_spread_not_its_own_tail() -> None:
    """A class whose validation photos happen to have a short tail does not get a threshold tighter than its
    spread warrants: thresholds are median + z * IQR with one pooled z."""
    known, unknown = photos(seed=1)
    rule, _ = choose_open_set_rule(known, unknown, acceptance=0.9, taxa=TAXA, min_class_acceptance=0.85)
    for t in ("Khaya", "Quercus"):
        values = np.array([o.knn for o in known if o.name == t])
        q25, q75 = np.quantile(values, [0.25, 0.75])
        pair = rule.per_class[t]
        z = (pair["threshold"]["knn"] - pair["reference"]["knn"]) / (q75 - q25)
        z_cedrela = ((rule.per_class["Cedrela"]["threshold"]["knn"] - rule.per_class["Cedrela"]["reference"]["knn"])
                     / np.subtract(*np.quantile([o.knn for o in known if o.name == "Cedrela"], [0.75, 0.25])))
        assert abs(z - z_cedrela) < 1e-6  # one pooled z for every class


def test_a_heavier_tailed_class_keeps_its_share_with_a_tail_aware_spread_or_its_own_quantile() -> None:
    """Oak's score has a heavier upper tail than its IQR suggests (a crop shows a broad ray or not). With one pooled
    z on the IQR, it loses more of its photos than the others; a spread of 90th percentile - median loses fewer,
    and each class's own quantile (with enough photos per class) gives it the same share as the rest."""
    rng = np.random.default_rng(3)
    known = [outcome(t, "known", float(rng.normal(0.10, 0.02)), rng) for t in ("Cedrela", "Khaya") for _ in range(400)]
    heavy = 0.10 + 0.02 * rng.standard_t(2, size=400)  # same centre and IQR scale, a far heavier tail
    known += [outcome("Quercus", "known", float(v), rng) for v in heavy]
    shares = {}
    for spread in ("iqr", "upper", "quantile"):
        rule = _rule_at("knn", known, 0.95, taxa=TAXA, class_spread=spread)
        assert set(rule.per_class) == set(TAXA)
        shares[spread] = {t: acceptance(rule, known, t) for t in TAXA}
    assert abs(acceptance(rule, known) - 0.95) < 0.01
    assert shares["iqr"]["Quercus"] < 0.92 < min(shares["iqr"]["Cedrela"], shares["iqr"]["Khaya"])
    assert shares["upper"]["Quercus"] > shares["iqr"]["Quercus"]  # somewhat: q90 is not yet the far tail
    assert min(shares["quantile"].values()) >= 0.94


def test_a_floored_global_threshold_lifts_only_the_classes_below_the_floor() -> None:
    """operating.open_set_floored: one global threshold, and own thresholds only for the classes it would keep
    below the floor, at the floor. The variable class's threshold is then tighter than with equal shares per class
    at the same overall acceptance, so more of the unknowns that look like it abstain."""
    from smartinspect.wood.train.openset import floored_rule_at

    known, unknown = photos()
    rng = np.random.default_rng(7)
    unknown = [outcome("Betula", "open_set", float(rng.normal(0.39, 0.01)), rng) for _ in range(150)]  # near Cedrela
    floored = floored_rule_at("knn", known, 0.9, taxa=TAXA, floor=0.85)
    assert set(floored.per_class) == {"Cedrela"}  # the variable class, alone lifted to the floor
    assert 0.85 <= acceptance(floored, known, "Cedrela") < 0.87
    assert abs(acceptance(floored, known) - 0.9) < 0.02
    equal = _rule_at("knn", known, 0.9, taxa=TAXA, class_spread="quantile")
    assert acceptance(floored, unknown) < acceptance(equal, unknown) - 0.2
    rule, report = choose_open_set_rule(known, unknown, acceptance=0.9, taxa=TAXA, min_class_acceptance=0.85,
                                        floored=True, class_spread="quantile")
    assert report["select_knn_floored_worst_class_accepted"] >= 0.85
    assert report["select_knn_floored_unknown_abstained"] > report["select_knn_per_class_unknown_abstained"] + 0.2
    assert set(rule.per_class) == {"Cedrela"}
    assert "select_knn_floored_known_accepted" not in choose_open_set_rule(
        known, unknown, acceptance=0.9, taxa=TAXA, min_class_acceptance=0.85)[1]  # only when the recipe asks
