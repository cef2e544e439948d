"""``smartinspect bench clearance``, ``bench reload`` and ``bench serving``. Only typer is imported here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from smartinspect.clitools import emit_json


def bench_clearance(
    database_url: Annotated[str | None, typer.Option("--database-url", help="default: a fresh SQLite file")] = None,
    declarations: Annotated[int, typer.Option(help="declarations per measured run")] = 2000,
    batch: Annotated[int, typer.Option(help="declarations per transaction in the batched run")] = 100,
    single: Annotated[int, typer.Option(help="declarations in the one-per-transaction run")] = 500,
    http: Annotated[int, typer.Option(help="declarations POSTed one by one over real HTTP (0: skip)")] = 0,
    seed: Annotated[int, typer.Option()] = 5,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
) -> None:
    """Declarations assessed per second with the default rules, through the real database (and HTTP)."""
    from smartinspect.benchmarks.clearance import run_clearance_benchmark

    result = run_clearance_benchmark(database_url=database_url, n_batched=declarations, batch=batch,
                                     n_single=single, n_http=http, seed=seed)
    emit_json(result, out)


def bench_reload_cmd(
    rounds: Annotated[int, typer.Option(help="reloads and restarts to time (medians are reported)")] = 3,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
) -> None:
    """Hot reload vs a restart (the baseline) on the shipped packages: time to serve a new version, downtime."""
    from smartinspect.benchmarks.reload import run_reload_benchmark
    from smartinspect.config import get_settings

    emit_json(run_reload_benchmark(models_dir=get_settings().models_dir, rounds=rounds), out)


def bench_serving_cmd(
    levels: Annotated[str, typer.Option(help="client concurrency levels, comma-separated")] = "1,2,4,8",
    duration: Annotated[float, typer.Option(help="seconds of back-to-back requests per level")] = 8.0,
    inputs: Annotated[int, typer.Option(help="distinct scans and pages, cycled")] = 4,
    modes: Annotated[str, typer.Option(help="comma-separated: per_request, in_process_concurrent, ray_batched")]
    = "per_request,in_process_concurrent,ray_batched",
    out: Annotated[Path | None, typer.Option(help="write the JSON result here (docs/bench-serving.json)")] = None,
) -> None:
    """Scan and OCR clients: one request at a time in process vs Ray Serve with dynamic batching (the Ray engine's
    settings: a local Ray unless SMARTINSPECT_RAY_ADDRESS). Prints the markdown table on stderr."""
    from smartinspect.benchmarks.serving import MODES, markdown_table, run_serving_benchmark
    from smartinspect.config import get_settings

    chosen = tuple(m.strip() for m in modes.split(",") if m.strip())
    unknown = [m for m in chosen if m not in MODES]
    if unknown:
        raise typer.BadParameter(f"unknown modes {unknown}; valid modes: {', '.join(MODES)}")
    result = run_serving_benchmark(get_settings(), levels=tuple(int(x) for x in levels.split(",")),
                                   duration_s=duration, n_inputs=inputs, modes=chosen)
    typer.echo(markdown_table(result), err=True)
    emit_json(result, out)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the whole-service benchmarks to ``bench`` (called by smartinspect.cli)."""
    groups["bench"].command("clearance")(bench_clearance)
    groups["bench"].command("reload")(bench_reload_cmd)
    groups["bench"].command("serving")(bench_serving_cmd)
