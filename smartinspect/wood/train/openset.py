"""The open-set rule: which score (distance, k-NN, energy, anatomy, or a pooled combination) and which thresholds
(global, per class, or global with a class floor) decide that a photo is of no known taxon. Chosen on held-out
known photos and validation genera that the network never trained on (docs/wood.md)."""

from __future__ import annotations

import numpy as np

from smartinspect.wood.inferencer import OpenSetRule, top_class

SCORE_COMBINATIONS = ("distance", "knn", "energy", "distance+energy", "knn+energy", "distance+knn")
# With an anatomy head in the graph (operating.anatomy_score), these are tried as well.
ANATOMY_COMBINATIONS = ("anatomy", "anatomy+energy", "distance+anatomy", "knn+anatomy")
MIN_CLASS_PHOTOS = 10  # a class with fewer validation photos predicted as it uses the global threshold
# No class may lose more than 10 % of its own validation photos to the open-set rule (operating.open_set_min_class_
# acceptance overrides): one threshold for all sent 17 % of Cedrela to the experts (docs/wood.md).
MIN_CLASS_ACCEPTANCE = 0.90


def _iqr(v: np.ndarray) -> float:
    q25, q75 = np.quantile(v, [0.25, 0.75])
    return float(q75 - q25)


def _upper_spread(v: np.ndarray) -> float:
    """90th percentile minus median: the spread of the side of a score's distribution where thresholds sit."""
    q50, q90 = np.quantile(v, [0.5, 0.9])
    return float(q90 - q50)


CLASS_SPREADS = {"iqr": _iqr, "upper": _upper_spread}  # per-class scales for one pooled z; or "quantile" (no scale)


def _quantile_thresholds(values: dict[str, np.ndarray], reference: dict[str, float], q: float) -> dict[str, float]:
    """Each score's ``q`` quantile, kept just above its reference (a threshold at the median would divide by 0)."""
    return {s: max(float(np.quantile(v, q)), reference[s] + 1e-6) for s, v in values.items()}


def _rule_at(name: str, known: list, acceptance: float, *, taxa: list[str] | None = None,
             class_spread: str = "iqr") -> OpenSetRule:
    """The rule ``name`` whose thresholds accept ``acceptance`` of the known photos (joint, for combinations).

    With ``taxa``, the rule has a reference (the class median) and threshold per predicted class. ``class_spread``
    says how the thresholds are set:
    - "iqr" and "upper": each class's scores are scaled by its own spread (interquartile range, or 90th percentile
      minus median, which follows a heavier upper tail such as oak's, whose crops show a broad ray or not), and one
      pooled quantile of those standardised scores sets every class's threshold (median + z * spread). A class's
      tail is never estimated from its own ~60 validation photos, only its centre and spread, which those photos do
      estimate: a first version that took each class's own quantile accepted 96.7 % of Quercus validation photos and
      84 % of held-out ones (docs/wood.md).
    - "quantile": each class's threshold is its own quantile, so every class accepts the same share of its own
      photos. It wants far more than ~60 photos per class (data.calibration_*)."""
    if class_spread != "quantile" and class_spread not in CLASS_SPREADS:
        raise ValueError(f"open_set_class_spread {class_spread!r}: expected quantile or {', '.join(CLASS_SPREADS)}")
    scores = name.split("+")
    values = {s: np.array([o.scores()[s] for o in known]) for s in scores}
    reference = {s: float(np.median(v)) for s, v in values.items()}
    predicted = [top_class(o.probabilities, taxa) if taxa else None for o in known]
    if taxa is None:
        def rule(q: float) -> OpenSetRule:
            return OpenSetRule(name, reference, _quantile_thresholds(values, reference, q))
    else:
        groups = {t: np.array(predicted) == t for t in taxa if predicted.count(t) >= MIN_CLASS_PHOTOS}
        centre = {t: {s: float(np.median(v[m])) for s, v in values.items()} for t, m in groups.items()}
        if class_spread == "quantile":
            def rule(q: float) -> OpenSetRule:
                per_class = {t: {"reference": dict(centre[t]), "threshold": _quantile_thresholds(
                    {s: v[m] for s, v in values.items()}, centre[t], q)} for t, m in groups.items()}
                return OpenSetRule(name, reference, _quantile_thresholds(values, reference, q), per_class)
        else:
            spread_of = CLASS_SPREADS[class_spread]
            glob_spread = {s: max(spread_of(v), 1e-9) for s, v in values.items()}
            spread = {t: {s: spread_of(v[m]) or glob_spread[s] for s, v in values.items()} for t, m in groups.items()}
            z = {s: np.array([(values[s][i] - centre[t][s]) / spread[t][s] if t in groups
                              else (values[s][i] - reference[s]) / glob_spread[s] for i, t in enumerate(predicted)])
                 for s in scores}

            def rule(q: float) -> OpenSetRule:
                zq = {s: max(float(np.quantile(z[s], q)), 1e-6) for s in scores}
                thr = {s: reference[s] + zq[s] * glob_spread[s] for s in scores}
                per_class = {t: {"reference": dict(centre[t]),
                                 "threshold": {s: centre[t][s] + zq[s] * spread[t][s] for s in scores}}
                             for t in groups}
                return OpenSetRule(name, reference, thr, per_class)

    def accepted(r: OpenSetRule) -> float:
        return float(np.mean([r.value(o.scores(), t) <= 1.0 for o, t in zip(known, predicted, strict=True)]))

    lo, hi = acceptance, 1.0  # per-score quantile so that the joint acceptance is ``acceptance``
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if accepted(rule(mid)) < acceptance else (lo, mid)
    return rule(hi)


def floored_rule_at(name: str, known: list, acceptance: float, *, taxa: list[str], floor: float) -> OpenSetRule:
    """One global threshold (as ``_rule_at`` without taxa), except for the classes it would keep below ``floor``
    of their own photos: each of those gets its own threshold, its own quantile just high enough to keep
    ``floor`` of its photos; the global quantile is then set so that ``acceptance`` of all known photos pass.

    Per-class thresholds at equal shares (``class_spread: quantile``) tighten the classes whose photos sit well
    inside the known region as much as the loose ones; this rule keeps the tightest threshold the floor allows for
    every class. The floor is measured as the selection and the promotion gate measure it: a class's own photos
    (by their true class), with thresholds applied by predicted class, as served."""
    scores = name.split("+")
    x = np.array([[o.scores()[s] for s in scores] for o in known])  # (n, scores)
    predicted = np.array([top_class(o.probabilities, taxa) for o in known])
    truth = np.array([o.name for o in known])
    reference = {s: float(np.median(x[:, j])) for j, s in enumerate(scores)}
    groups = [t for t in taxa if (predicted == t).sum() >= MIN_CLASS_PHOTOS]

    def passes(rows: np.ndarray, ref: dict[str, float], thr: dict[str, float]) -> np.ndarray:
        r = np.array([ref[s] for s in scores])
        return ((rows - r) / (np.array([thr[s] for s in scores]) - r)).max(axis=1) <= 1.0

    def values(rows: np.ndarray) -> dict[str, np.ndarray]:
        return {s: rows[:, j] for j, s in enumerate(scores)}

    def rule(q: float) -> tuple[OpenSetRule, np.ndarray]:
        """The rule at global quantile ``q``, and which known photos it keeps (as ``OpenSetRule.value`` would)."""
        glob = _quantile_thresholds(values(x), reference, q)
        kept = passes(x, reference, glob)
        per_class = {}
        for t in groups:
            own, mine = predicted == t, truth == t
            if not mine.any() or kept[mine].mean() >= floor:
                continue
            centre = {s: float(np.median(x[own, j])) for j, s in enumerate(scores)}
            lo, hi = q, 1.0
            for _ in range(30):  # the smallest own quantile that keeps ``floor`` of the class's photos
                mid = (lo + hi) / 2
                trial = kept.copy()
                trial[own] = passes(x[own], centre, _quantile_thresholds(values(x[own]), centre, mid))
                lo, hi = (mid, hi) if trial[mine].mean() < floor else (lo, mid)
            thr = _quantile_thresholds(values(x[own]), centre, hi)
            kept[own] = passes(x[own], centre, thr)
            per_class[t] = {"reference": centre, "threshold": thr}
        return OpenSetRule(name, reference, glob, per_class), kept

    lo, hi = 0.5, 1.0  # the global quantile: the classes lifted to the floor leave room below ``acceptance``
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rule(mid)[1].mean() < acceptance else (lo, mid)
    return rule(hi)[0]


def choose_open_set_rule(known: list, unknown: list, *, acceptance: float, taxa: list[str],
                         min_class_acceptance: float = MIN_CLASS_ACCEPTANCE,
                         combinations: tuple[str, ...] = SCORE_COMBINATIONS,
                         class_spread: str = "iqr", floored: bool = False) -> tuple[OpenSetRule, dict[str, float]]:
    """The score (or pair of scores), with one global threshold or one per predicted class, that abstains on the
    most validation unknowns while accepting ``acceptance`` of the validation photos of known classes and at least
    ``min_class_acceptance`` of every class's own photos (if no rule keeps that floor: the one whose worst class is
    best). The unknowns are the validation open-set genera (never the test genera); thresholds come from the known
    photos only. ``floored`` (operating.open_set_floored): each score is also tried as a global threshold with
    the floor kept by own thresholds for the classes below it (``floored_rule_at``)."""
    report: dict[str, float] = {}
    candidates = []
    known_top = [top_class(o.probabilities, taxa) for o in known]
    unknown_top = [top_class(o.probabilities, taxa) for o in unknown]
    names = np.array([o.name for o in known])
    variants = ("global", "per_class", "floored") if floored else ("global", "per_class")
    for name in combinations:
        for variant in variants:
            if variant == "floored":
                rule = floored_rule_at(name, known, acceptance, taxa=taxa, floor=min_class_acceptance)
            else:
                rule = _rule_at(name, known, acceptance, taxa=taxa if variant == "per_class" else None,
                                class_spread=class_spread)
            kept = np.array([rule.value(o.scores(), t) <= 1.0 for o, t in zip(known, known_top, strict=True)])
            accepted = float(kept.mean())
            worst = min(float(kept[names == t].mean()) for t in set(names))
            rejected = float(np.mean([rule.value(o.scores(), t) > 1.0
                                      for o, t in zip(unknown, unknown_top, strict=True)])) if unknown else 0.0
            key = name.replace("+", "_") + ("" if variant == "global" else f"_{variant}")
            report |= {f"select_{key}_known_accepted": accepted, f"select_{key}_worst_class_accepted": worst,
                       f"select_{key}_unknown_abstained": rejected}
            candidates.append((worst >= min_class_acceptance, rejected if worst >= min_class_acceptance else worst,
                               -len(candidates), rule))
    best = max(candidates, key=lambda c: c[:3])
    return best[3], report


