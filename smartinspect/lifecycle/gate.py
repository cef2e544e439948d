"""The promotion gate: a challenger replaces the champion only when it is no worse on every gated metric and
better on at least one, both measured on the same frozen evaluation set. numpy only, no MLflow."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

import numpy as np

# Differences below this are floating-point noise, not a change: re-exporting the same network to ONNX moved its
# Brier score by 4e-10, and the gate refused it as "worse" with a printed delta of +0.0000. The table shows 4 decimals.
RESOLUTION = 1e-6


class EventRate(float):
    """A rate of events over the items of the evaluation set (its float value) that also keeps, per item, whether
    the event happened (1), did not (0), or the item does not count (None), so that two models evaluated on the same
    items can be compared item by item (``GatedMetric.paired_alpha``)."""

    events: tuple[int | None, ...]

    def __new__(cls, events) -> EventRate:
        events = tuple(None if e is None else int(bool(e)) for e in events)
        counted = [e for e in events if e is not None]
        rate = super().__new__(cls, sum(counted) / len(counted) if counted else math.nan)
        rate.events = events
        return rate


class ResampledStatistic(float):
    """A statistic of the evaluation set's items (its float value) that can also be computed on resamples of the
    same items, so that two models evaluated on the same items can be compared by a paired bootstrap
    (``GatedMetric.paired_alpha``). ``on_weights`` maps a (resamples, items) matrix of item counts to the statistic
    of each resample; a row of ones is the evaluation set itself."""

    on_weights: Callable[[np.ndarray], np.ndarray]
    items: int

    def __new__(cls, on_weights: Callable[[np.ndarray], np.ndarray], items: int) -> ResampledStatistic:
        value = float(on_weights(np.ones((1, items)))[0]) if items else math.nan
        stat = super().__new__(cls, value)
        stat.on_weights, stat.items = on_weights, items
        return stat


# Paired bootstrap: resamples of the frozen items, drawn with a fixed seed so that a promotion is reproducible.
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261124


def bootstrap_no_worse_p(champion: ResampledStatistic, challenger: ResampledStatistic, *, higher_is_better: bool,
                         resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> float:
    """Paired bootstrap (Efron & Tibshirani 1993, ch. 16): resample the items with replacement, the same resample
    for both models, and return the share of resamples on which the challenger is no worse than the champion. A
    small share means the challenger is worse on nearly every plausible draw of the evaluation set, not only on
    this one."""
    if champion.items != challenger.items:
        raise ValueError(f"paired statistics over different items: {champion.items} and {challenger.items}")
    if not champion.items:
        return 1.0
    weights = _resample_weights(champion.items, resamples, seed)
    gain = challenger.on_weights(weights) - champion.on_weights(weights)
    if not higher_is_better:
        gain = -gain
    return float(np.mean(gain >= -RESOLUTION))


@lru_cache(maxsize=2)
def _resample_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n): how often each item is drawn in each resample. Cached: a gate row's verdict, its refusal
    reason and its table cell ask for the same resamples (about 26 MB for 2,000 x 1,600)."""
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n))  # item indices, with replacement
    weights = np.bincount((drawn + n * np.arange(resamples)[:, None]).ravel(), minlength=resamples * n)
    weights = weights.reshape(resamples, n).astype(np.float64)
    weights.flags.writeable = False
    return weights


def mcnemar_worse_p(champion: EventRate, challenger: EventRate) -> tuple[float, int, int]:
    """One-sided exact McNemar test on the same items: (p, b, c), where b counts items with the event for the
    challenger only and c for the champion only, and p is the chance of b or more of the b + c discordant items
    falling on the challenger's side if both models were equally likely to have the event (Binomial(b + c, 1/2))."""
    if len(champion.events) != len(challenger.events):
        raise ValueError(f"paired rates over different items: {len(champion.events)} and {len(challenger.events)}")
    pairs = [(a, b) for a, b in zip(champion.events, challenger.events, strict=True) if a is not None and b is not None]
    b = sum(1 for a, x in pairs if x and not a)
    c = sum(1 for a, x in pairs if a and not x)
    n = b + c
    p = sum(math.comb(n, k) for k in range(b, n + 1)) / 2 ** n if n else 1.0
    return p, b, c


class Outcome(StrEnum):
    BETTER = "better"
    SAME = "same"
    WORSE = "WORSE"
    NOT_MEASURED = "n/a"


@dataclass(frozen=True)
class GatedMetric:
    """A metric the gate checks. ``tolerance``: how much worse still counts as "no worse" (in metric units).

    ``paired_alpha``: instead of the tolerance, the two models are compared on the same items, and the challenger is
    worse when the test's p-value is at most ``paired_alpha``. Rates of rare events (``EventRate``): the one-sided
    exact McNemar test of the challenger having more events. Other statistics of the items (``ResampledStatistic``:
    ECE, Brier): the share of paired bootstrap resamples on which the challenger is no worse. With a tolerance of 0
    on ~20 events in 1,600 photos, a model exactly as good as the champion was refused about half the time, and ECE
    differences of 0.0004 (noise for 1,600 photos) refused candidate 7; the paired tests refuse an equal model at
    most about ``paired_alpha`` of the time and still refuse a real change (docs/lifecycle.md).
    """

    name: str
    higher_is_better: bool
    tolerance: float = 0.0
    paired_alpha: float | None = None
    # An absolute bound the challenger must meet whatever the champion scores, first promotion included (e.g. a
    # rate the issue fixes, such as non-wood photos accepted: 0): at most ``limit`` when lower is better, at least
    # ``limit`` when higher is better.
    limit: float | None = None

    def __post_init__(self) -> None:
        if self.tolerance < 0 or not math.isfinite(self.tolerance):
            raise ValueError(f"gated metric {self.name!r}: tolerance must be a finite value >= 0, got {self.tolerance}")
        if self.paired_alpha is not None and not 0 < self.paired_alpha < 1:
            raise ValueError(f"gated metric {self.name!r}: paired_alpha must be in (0, 1), got {self.paired_alpha}")

    @classmethod
    def from_config(cls, name: str, raw: Mapping[str, Any]) -> GatedMetric:
        unknown = set(raw) - {"higher_is_better", "tolerance", "paired_alpha", "limit"}
        if unknown or "higher_is_better" not in raw:
            msg = (f"gate {name!r}: expected keys higher_is_better (required), tolerance, paired_alpha and limit, "
                   f"got {sorted(raw)}")
            raise ValueError(msg)
        alpha, limit = raw.get("paired_alpha"), raw.get("limit")
        return cls(name, bool(raw["higher_is_better"]), float(raw.get("tolerance", 0.0)),
                   None if alpha is None else float(alpha), None if limit is None else float(limit))

    def beyond_limit(self, value: float | None) -> bool:
        """The value breaks the absolute ``limit`` (a value that could not be measured breaks any limit)."""
        if self.limit is None:
            return False
        if _missing(value):
            return True
        return float(value) < self.limit - RESOLUTION if self.higher_is_better else float(value) > self.limit + RESOLUTION


@dataclass(frozen=True)
class GateRow:
    metric: GatedMetric
    champion: float | None
    challenger: float | None
    outcome: Outcome

    @property
    def delta(self) -> float | None:
        if _missing(self.champion) or _missing(self.challenger):
            return None
        return float(self.challenger) - float(self.champion)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GateDecision:
    """The verdict with every row, so a refusal shows which metric failed and by how much."""

    rows: tuple[GateRow, ...]
    passed: bool
    reasons: tuple[str, ...]
    has_champion: bool
    informative: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def failed_metrics(self) -> list[str]:
        return [r.metric.name for r in self.rows if r.outcome is Outcome.WORSE]

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "has_champion": self.has_champion,
            "reasons": list(self.reasons),
            "rows": [{"metric": r.metric.name, "higher_is_better": r.metric.higher_is_better,
                      "tolerance": r.metric.tolerance, "paired_alpha": r.metric.paired_alpha,
                      "champion": _clean(r.champion),
                      "challenger": _clean(r.challenger), "delta": _clean(r.delta), "outcome": r.outcome.value}
                     for r in self.rows],
            "informative": {k: {"champion": _clean(a), "challenger": _clean(b)} for k, (a, b) in self.informative.items()},
        }


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _clean(value: float | None) -> float | None:
    return None if _missing(value) else round(float(value), 6)  # type: ignore[arg-type]


def judge_metric(metric: GatedMetric, champion: float | None, challenger: float | None) -> Outcome:
    """One row: better, same (within tolerance), worse, or not measured (no instances in the evaluation set)."""
    if metric.beyond_limit(challenger) and not _missing(challenger):
        return Outcome.WORSE
    if _missing(champion) and _missing(challenger):
        return Outcome.NOT_MEASURED
    if _missing(challenger):
        return Outcome.WORSE  # the champion could be measured and the challenger not: never a pass
    if _missing(champion):
        return Outcome.BETTER
    if metric.paired_alpha is not None:
        return _judge_paired(metric, champion, challenger)
    gain = float(challenger) - float(champion)  # type: ignore[arg-type]
    if not metric.higher_is_better:
        gain = -gain
    if gain < -metric.tolerance - RESOLUTION:
        return Outcome.WORSE
    return Outcome.BETTER if gain > RESOLUTION else Outcome.SAME


def _judge_paired(metric: GatedMetric, champion: float | None, challenger: float | None) -> Outcome:
    if isinstance(champion, ResampledStatistic) and isinstance(challenger, ResampledStatistic):
        gain = float(challenger) - float(champion)
        if not metric.higher_is_better:
            gain = -gain
        if gain < -RESOLUTION and bootstrap_no_worse_p(champion, challenger, higher_is_better=metric.higher_is_better
                                                       ) <= metric.paired_alpha:  # type: ignore[operator]
            return Outcome.WORSE
        return Outcome.BETTER if gain > RESOLUTION else Outcome.SAME
    if not isinstance(champion, EventRate) or not isinstance(challenger, EventRate):
        raise TypeError(f"gated metric {metric.name!r} is paired, but the evaluation gave plain numbers: the kind must "
                        f"report it as an EventRate (per-item events) or a ResampledStatistic")
    p, b, c = paired_rate_test(metric, champion, challenger)
    if b > c and p <= metric.paired_alpha:  # type: ignore[operator]
        return Outcome.WORSE
    return Outcome.BETTER if c > b else Outcome.SAME


def paired_rate_test(metric: GatedMetric, champion: EventRate, challenger: EventRate) -> tuple[float, int, int]:
    """McNemar on a paired rate, oriented so that b counts the items that went wrong for the challenger only. A rate
    of bad events (false alarms; lower is better): items with the event for the challenger only. A rate of good
    events (objects found, recall; higher is better): items with the event for the champion only."""
    if metric.higher_is_better:
        return mcnemar_worse_p(challenger, champion)
    return mcnemar_worse_p(champion, challenger)


def compare_models(
    gates: list[GatedMetric],
    *,
    challenger: Mapping[str, float | None],
    champion: Mapping[str, float | None] | None,
    informative: list[str] = (),  # type: ignore[assignment]
) -> GateDecision:
    """Apply the gate. Without a champion (the first promotion) the challenger passes if it could be measured."""
    if not gates:
        raise ValueError("a promotion gate needs at least one gated metric")
    missing = [g.name for g in gates if g.name not in challenger]
    if missing:
        raise KeyError(f"the challenger's evaluation lacks gated metrics {missing}; it has {sorted(challenger)}")
    info = {k: ((champion or {}).get(k), challenger.get(k)) for k in informative}
    if champion is None:
        rows = tuple(GateRow(g, None, challenger[g.name], Outcome.WORSE if g.beyond_limit(challenger[g.name])
                             else Outcome.NOT_MEASURED) for g in gates)
        measured = any(not _missing(challenger[g.name]) for g in gates)
        broken = [_worse_reason(r) for r in rows if r.outcome is Outcome.WORSE]
        reasons = broken or ["no champion yet: first promotion" if measured else "the challenger could not be measured"]
        return GateDecision(rows, measured and not broken, tuple(reasons), False, info)
    rows = tuple(GateRow(g, champion.get(g.name), challenger[g.name],
                         judge_metric(g, champion.get(g.name), challenger[g.name])) for g in gates)
    reasons = [_worse_reason(r) for r in rows if r.outcome is Outcome.WORSE]
    if not reasons and not any(r.outcome is Outcome.BETTER for r in rows):
        reasons.append("better on no gated metric (a challenger must improve at least one)")
    passed = not reasons
    if passed:
        better = ", ".join(r.metric.name for r in rows if r.outcome is Outcome.BETTER)
        reasons = [f"better on {better}; no worse on the rest"]
    return GateDecision(rows, passed, tuple(reasons), True, info)


def _worse_reason(row: GateRow) -> str:
    if row.metric.beyond_limit(row.challenger) and not _missing(row.challenger):
        bound = "at least" if row.metric.higher_is_better else "at most"
        return f"{row.metric.name}: challenger {_fmt(row.challenger)} breaks the limit ({bound} {row.metric.limit:g})"
    if _missing(row.challenger):
        return f"{row.metric.name}: not measurable for the challenger (champion {_fmt(row.champion)})"
    direction = "lower" if row.metric.higher_is_better else "higher"
    if row.metric.paired_alpha is not None and isinstance(row.challenger, ResampledStatistic):
        p = bootstrap_no_worse_p(row.champion, row.challenger,  # type: ignore[arg-type]
                                 higher_is_better=row.metric.higher_is_better)
        return (f"{row.metric.name}: challenger {_fmt(row.challenger)} is {direction} than champion "
                f"{_fmt(row.champion)}, and no worse on only {p:.1%} of {BOOTSTRAP_RESAMPLES} paired bootstrap "
                f"resamples of the items (p <= {row.metric.paired_alpha:g})")
    if row.metric.paired_alpha is not None:
        p, b, c = paired_rate_test(row.metric, row.champion, row.challenger)  # type: ignore[arg-type]
        return (f"{row.metric.name}: challenger {_fmt(row.challenger)} is {direction} than champion "
                f"{_fmt(row.champion)}: {b} items only the challenger got wrong, {c} only the champion "
                f"(one-sided McNemar p = {p:.3f} <= {row.metric.paired_alpha:g})")
    return (f"{row.metric.name}: challenger {_fmt(row.challenger)} is {direction} than champion "
            f"{_fmt(row.champion)} beyond the tolerance {row.metric.tolerance:g}")


def _fmt(value: float | None) -> str:
    return "n/a" if _missing(value) else f"{float(value):.4f}"  # type: ignore[arg-type]


def _tolerance(row: GateRow) -> str:
    """The tolerance column: a margin, or for a paired rate its test (and the discordant items when measured), and
    the absolute limit when there is one."""
    if row.metric.limit is not None:
        bound = f"{'>=' if row.metric.higher_is_better else '<='} {row.metric.limit:g}"
        return f"{_tolerance(GateRow(replace(row.metric, limit=None), row.champion, row.challenger, row.outcome))}, {bound}"
    if row.metric.paired_alpha is None:
        return f"{row.metric.tolerance:g}"
    if isinstance(row.champion, ResampledStatistic) and isinstance(row.challenger, ResampledStatistic):
        p = bootstrap_no_worse_p(row.champion, row.challenger, higher_is_better=row.metric.higher_is_better)
        return f"paired bootstrap p <= {row.metric.paired_alpha:g} (p = {p:.2f})"
    if isinstance(row.champion, EventRate) and isinstance(row.challenger, EventRate):
        p, b, c = paired_rate_test(row.metric, row.champion, row.challenger)
        return f"paired p <= {row.metric.paired_alpha:g} (+{b}/-{c}, p = {p:.2f})"
    return f"paired p <= {row.metric.paired_alpha:g}"


def render_table(decision: GateDecision, *, champion_label: str, challenger_label: str) -> str:
    """Side-by-side Markdown table (printed by ``smartinspect promote`` and logged to MLflow)."""
    lines = [f"| metric | better when | tolerance | {champion_label} | {challenger_label} | delta | result |",
             "|---|---|---|---|---|---|---|"]
    for r in decision.rows:
        delta = "" if r.delta is None else f"{r.delta:+.4f}"
        lines.append(f"| {r.metric.name} | {'higher' if r.metric.higher_is_better else 'lower'} | "
                     f"{_tolerance(r)} | {_fmt(r.champion)} | {_fmt(r.challenger)} | {delta} | "
                     f"{r.outcome.value} |")
    for name, (a, b) in decision.informative.items():
        lines.append(f"| {name} (not gated) | | | {_fmt(a)} | {_fmt(b)} | | info |")
    verdict = "PROMOTED" if decision.passed else "REFUSED"
    lines += ["", f"**{verdict}**: " + "; ".join(decision.reasons)]
    return "\n".join(lines)
