"""Reports: hit rate per rule, channel mix, clearance-time distribution. Read-only; windows on created_at.

- Hit rate of a rule: of the instructions it fed that were completed, the share that found a discrepancy
  (``discrepancy`` or ``seized``). Rules that issue no instruction (blue) report hits only.
- Clearance time: seconds from receipt (``created_at``) to release; held and pending declarations are counted
  apart, not as times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from smartinspect.domain.clearance import HOLDING_RESULTS, Channel, DeclarationStatus, InstructionStatus
from smartinspect.storage.models_clearance import Declaration, Instruction, RuleHit

# Upper bounds (seconds) of the clearance-time histogram; the last bucket is open.
TIME_BUCKETS = ((1.0, "< 1 s"), (60.0, "< 1 min"), (3600.0, "< 1 h"), (4 * 3600.0, "< 4 h"), (86400.0, "< 1 day"),
                (math.inf, ">= 1 day"))


@dataclass(frozen=True)
class RuleHitRate:
    rule_id: str
    hits: int  # times the rule fired (per declaration, per finding for finding rules)
    instructions: int  # instructions it fed
    completed: int
    discrepancies: int
    hit_rate: float | None  # discrepancies / completed; None before any completion


@dataclass(frozen=True)
class ChannelShare:
    channel: str
    count: int
    share: float


@dataclass(frozen=True)
class ChannelMix:
    total: int
    channels: tuple[ChannelShare, ...]
    by_status: dict[str, int]


@dataclass(frozen=True)
class TimeBucket:
    label: str
    upper_s: float | None
    count: int


@dataclass(frozen=True)
class ClearanceTimes:
    released: int
    held: int
    pending: int
    mean_s: float | None
    p50_s: float | None
    p90_s: float | None
    p99_s: float | None
    max_s: float | None
    histogram: tuple[TimeBucket, ...]


def _window(column: ColumnElement, since: datetime | None, until: datetime | None) -> list[ColumnElement[bool]]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def rule_hit_rates(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                   ) -> list[RuleHitRate]:
    """One row per rule that fired in the window, most hits first."""
    window = _window(RuleHit.created_at, since, until)
    firings = select(RuleHit.rule_id, RuleHit.declaration_id, RuleHit.source_key).distinct().where(*window).subquery()
    counts = select(firings.c.rule_id, func.count()).group_by(firings.c.rule_id)
    hits = dict(session.execute(counts).tuples().all())
    completed = case((Instruction.status == InstructionStatus.completed, 1), else_=0)
    found = case((and_(Instruction.status == InstructionStatus.completed,
                       Instruction.result.in_([r.value for r in HOLDING_RESULTS])), 1), else_=0)
    outcomes = {rule_id: (n, done, bad) for rule_id, n, done, bad in session.execute(
        select(RuleHit.rule_id, func.count(Instruction.id), func.sum(completed), func.sum(found))
        .join(Instruction, Instruction.id == RuleHit.instruction_id).where(*window).group_by(RuleHit.rule_id))}
    rates = []
    for rule_id, count in hits.items():
        n, done, bad = (int(v or 0) for v in outcomes.get(rule_id, (0, 0, 0)))
        rates.append(RuleHitRate(rule_id, int(count), n, done, bad, bad / done if done else None))
    return sorted(rates, key=lambda r: (-r.hits, r.rule_id))


def channel_mix(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> ChannelMix:
    """How many declarations went to each channel, and where they stand."""
    window = _window(Declaration.created_at, since, until)
    counts = dict(session.execute(select(Declaration.channel, func.count()).where(*window)
                                  .group_by(Declaration.channel)).tuples().all())
    statuses = dict(session.execute(select(Declaration.status, func.count()).where(*window)
                                    .group_by(Declaration.status)).tuples().all())
    total = sum(counts.values())
    shares = tuple(ChannelShare(c.value, int(counts.get(c.value, 0)), counts.get(c.value, 0) / total if total else 0.0)
                   for c in Channel)
    return ChannelMix(total, shares, {s.value: int(statuses.get(s.value, 0)) for s in DeclarationStatus})


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def clearance_times(session: Session, *, since: datetime | None = None, until: datetime | None = None,
                    channel: str | None = None) -> ClearanceTimes:
    """The distribution of receipt-to-release times of declarations received in the window."""
    conditions = _window(Declaration.created_at, since, until)
    if channel is not None:
        conditions.append(Declaration.channel == channel)
    rows = session.execute(select(Declaration.status, Declaration.created_at, Declaration.released_at)
                           .where(*conditions)).all()
    seconds = sorted(max(0.0, (released - created).total_seconds())
                     for status, created, released in rows if status == DeclarationStatus.released and released)
    held = sum(1 for status, _c, _r in rows if status == DeclarationStatus.held)
    pending = sum(1 for status, _c, _r in rows if status == DeclarationStatus.assessed)
    histogram, lower = [], -math.inf
    for upper, label in TIME_BUCKETS:
        count = sum(1 for s in seconds if lower <= s < upper)
        histogram.append(TimeBucket(label, None if math.isinf(upper) else upper, count))
        lower = upper
    if not seconds:
        return ClearanceTimes(0, held, pending, None, None, None, None, None, tuple(histogram))
    return ClearanceTimes(
        released=len(seconds), held=held, pending=pending, mean_s=round(math.fsum(seconds) / len(seconds), 3),
        p50_s=round(_quantile(seconds, 0.5), 3), p90_s=round(_quantile(seconds, 0.9), 3),
        p99_s=round(_quantile(seconds, 0.99), 3), max_s=round(seconds[-1], 3), histogram=tuple(histogram),
    )


def render_report(hits: list[RuleHitRate], mix: ChannelMix, times: ClearanceTimes) -> str:
    """The three reports as plain-text tables (for the CLI)."""
    lines = ["Rule hit rates (share of completed instructions that found a discrepancy)",
             f"  {'rule':34} {'hits':>7} {'instr.':>7} {'done':>7} {'found':>7} {'hit rate':>9}"]
    for h in hits:
        rate = f"{h.hit_rate:.1%}" if h.hit_rate is not None else "-"
        lines.append(f"  {h.rule_id:34} {h.hits:>7} {h.instructions:>7} {h.completed:>7} {h.discrepancies:>7} "
                     f"{rate:>9}")
    lines += ["", f"Channel mix ({mix.total} declarations)"]
    lines += [f"  {c.channel:8} {c.count:>8} {c.share:>8.1%}" for c in mix.channels]
    lines.append("  status: " + ", ".join(f"{k} {v}" for k, v in mix.by_status.items()))
    lines += ["", f"Clearance times ({times.released} released, {times.held} held, {times.pending} pending)"]
    if times.released:
        lines.append(f"  mean {times.mean_s} s, p50 {times.p50_s} s, p90 {times.p90_s} s, p99 {times.p99_s} s, "
                     f"max {times.max_s} s")
    lines += [f"  {b.label:10} {b.count:>8}" for b in times.histogram]
    return "\n".join(lines)
