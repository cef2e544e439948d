"""Helpers every command group shares (typer only, so `--help` stays instant)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def emit_json(result: Any, out: Path | None = None, *, ascii_only: bool = True) -> None:
    """Print ``result`` as indented JSON, and write the same text to ``out`` when given (benchmarks, evaluations)."""
    text = json.dumps(result, indent=2, ensure_ascii=ascii_only)
    if out:
        out.write_text(text + "\n")
    typer.echo(text)
