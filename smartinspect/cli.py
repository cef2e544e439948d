"""The ``smartinspect`` command line. Heavy imports happen inside commands, so ``--help`` is instant."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

import typer

from smartinspect.anomaly import cli as anomaly_cli
from smartinspect.benchmarks import cli as benchmarks_cli
from smartinspect.clearance import cli as clearance_cli
from smartinspect.documents import cli as documents_cli
from smartinspect.lifecycle import cli as lifecycle_cli
from smartinspect.lifecycle.kinds import KindRegistry
from smartinspect.ocr import cli as ocr_cli
from smartinspect.review import cli as review_cli
from smartinspect.storage import cli as storage_cli
from smartinspect.wood import cli as wood_cli
from smartinspect.xray import cli as xray_cli

app = typer.Typer(help="smartinspect: AI-assisted customs inspection.", no_args_is_help=True)
train_app = typer.Typer(help="Train models (needs the `train` extra).", no_args_is_help=True)
export_app = typer.Typer(help="Export trained weights to ONNX (needs the `train` extra).", no_args_is_help=True)
evaluate_app = typer.Typer(help="Evaluate a model package on a labelled dataset.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks; figures go to docs/benchmarks.md.", no_args_is_help=True)
datagen_app = typer.Typer(help="Generate synthetic training and evaluation data.", no_args_is_help=True)

# Every command group, explicitly: each module's ``register(groups)`` adds its commands to the shared groups
# (app, train, export, evaluate, bench, datagen). Their heavy imports wait inside the commands.
CLI_MODULES = (storage_cli, xray_cli, anomaly_cli, ocr_cli, documents_cli, wood_cli, clearance_cli, review_cli,
               benchmarks_cli)
GROUPS = {"app": app, "train": train_app, "export": export_app, "evaluate": evaluate_app, "bench": bench_app,
          "datagen": datagen_app}



def _kinds() -> KindRegistry:
    from smartinspect.kinds import KINDS  # the kinds' modules load numpy and OpenCV: only when a command needs them

    return KINDS


@datagen_app.callback()
def _datagen() -> None:
    """Generate synthetic training and evaluation data."""  # a callback keeps `datagen xray` a sub-command


for _group in ("train", "export", "evaluate", "bench", "datagen"):
    app.add_typer(GROUPS[_group], name=_group)
for _module in CLI_MODULES:
    _module.register(GROUPS)
lifecycle_cli.register(GROUPS, kinds=_kinds)  # promotion works on the registered kinds


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic says "Context impl SQLiteImpl" etc. on every migration check: only with --verbose.
    logging.getLogger("alembic").setLevel(logging.INFO if verbose else logging.WARNING)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default: settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings)")] = None,
    engine: Annotated[str | None, typer.Option(
        help="where models run: in_process (one process) or ray (Ray Serve deployments with dynamic batching); "
             "default: settings (SMARTINSPECT_INFERENCE_ENGINE)")] = None,
    address: Annotated[str | None, typer.Option(
        help="--engine ray: the Ray cluster to join, e.g. auto or 10.0.0.5:6379; none starts a local Ray")] = None,
) -> None:
    """Run the HTTP API (uvicorn, one process); its models in process or on Ray Serve."""
    import uvicorn

    from smartinspect.config import Settings, get_settings

    overrides = {k: v for k, v in (("inference_engine", engine), ("ray_address", address)) if v is not None}
    settings = Settings(**overrides) if overrides else get_settings()  # the same sources, plus the options
    app_target: Any = "smartinspect.api.app:create_app"
    if overrides:  # the app gets these settings, not a fresh get_settings()
        from smartinspect.api.app import create_app

        app_target = create_app(settings)
    uvicorn.run(app_target, factory=not overrides, host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level.lower(),
                access_log=False)  # the API writes its own access line, with the request id


@app.command()
def demo(
    port: Annotated[int | None, typer.Option(help="port (default: settings)")] = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="prepare only; do not start the server")] = False,
) -> None:
    """Prepare the embedded demo (SQLite, local blobs, shipped models, demo keys, sample scans) and serve it."""
    from smartinspect.config import get_settings
    from smartinspect.demo import prepare_demo

    settings = get_settings()
    info = prepare_demo(settings)
    typer.echo(json.dumps(info, indent=2))
    if not no_serve:
        serve(host=None, port=port)


if __name__ == "__main__":  # pragma: no cover
    app()
