"""Helpers every command group shares (typer only, so `--help` stays instant)."""

from __future__ import annotations

import typer


def parse_splits(text: str) -> tuple[float, float, float]:
    """"train,val,test" fractions, e.g. "0.7,0.15,0.15" or "0,0,1" for a held-out test set."""
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise typer.BadParameter(f"splits must be three comma-separated fractions (train,val,test), got {text!r}")
    return parts  # type: ignore[return-value]
