"""Model cards: the metrics table every card shares."""

from __future__ import annotations


def metrics_table(rows: dict[str, float | None]) -> str:
    """A two-column markdown table; ``None`` shows as n/a."""
    lines = ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {'n/a' if v is None else v} |" for k, v in rows.items()]
    return "\n".join(lines)
