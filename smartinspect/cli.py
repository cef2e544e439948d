"""The ``smartinspect`` command line. Heavy imports happen inside commands, so ``--help`` is instant."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="smartinspect: AI-assisted customs inspection.", no_args_is_help=True)
train_app = typer.Typer(help="Train models (needs the `train` extra).", no_args_is_help=True)
export_app = typer.Typer(help="Export trained weights to ONNX (needs the `train` extra).", no_args_is_help=True)
evaluate_app = typer.Typer(help="Evaluate a model package on a labelled dataset.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks; figures go to docs/benchmarks.md.", no_args_is_help=True)
scans_app = typer.Typer(help="Stored scans: recovery after a crash.", no_args_is_help=True)


# Each capability adds its commands from its own module: ``register(groups)`` receives the shared groups
# (app, train, export, evaluate, bench, datagen) and adds commands or sub-groups. Absent modules are skipped.
OPTIONAL_CLI = (
    "smartinspect.ocr.cli",
    "smartinspect.documents.cli",
    "smartinspect.wood.cli",
    "smartinspect.clearance.cli",
    "smartinspect.review.cli",
    "smartinspect.lifecycle.cli",
    "smartinspect.anomaly.cli",
)


def _register_optional_groups() -> None:
    import importlib

    from smartinspect.datagen.cli import datagen_app
    from smartinspect.storage.cli import db_app, keys_app

    app.add_typer(datagen_app, name="datagen")
    app.add_typer(keys_app, name="keys")
    app.add_typer(db_app, name="db")
    groups = {"app": app, "train": train_app, "export": export_app, "evaluate": evaluate_app,
              "bench": bench_app, "datagen": datagen_app}
    for module_name in OPTIONAL_CLI:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module_name + ".").startswith(exc.name + "."):
                raise  # the module exists but one of its imports is missing: say so
            continue
        module.register(groups)


app.add_typer(train_app, name="train")
app.add_typer(export_app, name="export")
app.add_typer(evaluate_app, name="evaluate")
app.add_typer(bench_app, name="bench")
app.add_typer(scans_app, name="scans")
_register_optional_groups()


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default: settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings)")] = None,
) -> None:
    """Run the HTTP API (uvicorn, one process)."""
    import uvicorn

    from smartinspect.config import get_settings

    settings = get_settings()
    uvicorn.run("smartinspect.api.app:create_app", factory=True, host=host or settings.host,
                port=port or settings.port, log_level=settings.log_level.lower())


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


@train_app.command("xray")
def train_xray_cmd(
    config: Annotated[Path, typer.Option(help="training recipe (YAML)")] = Path("training/xray.yaml"),
    with_feedback: Annotated[Path | None, typer.Option(help="expert feedback snapshot to merge (docs/lifecycle.md)")] = None,
    synthetic_share: Annotated[float | None, typer.Option(help="with feedback: min share of synthetic scans")] = None,
) -> None:
    """Generate data if needed, train the detector from scratch, export ONNX, check parity, evaluate, package."""
    from smartinspect.config import get_settings
    from smartinspect.lifecycle.xray_kind import train

    package = train(config, settings=get_settings(), feedback=with_feedback, synthetic_share=synthetic_share)
    typer.echo(f"model package written to {package}")


@export_app.command("xray")
def export_xray_cmd(
    weights: Annotated[Path, typer.Argument(help="ultralytics .pt weights")],
    imgsz: Annotated[int, typer.Option()] = 320,
) -> None:
    """Export trained weights to ONNX (dynamic batch) beside the weights file."""
    from smartinspect.training.xray import export_onnx

    typer.echo(str(export_onnx(weights, imgsz=imgsz)))


@evaluate_app.command("xray")
def evaluate_xray_cmd(
    dataset: Annotated[Path, typer.Option(help="generated dataset directory")] = Path("datasets/xray/generated-test"),
    split: Annotated[str, typer.Option()] = "test",
    limit: Annotated[int | None, typer.Option(help="evaluate only the first N scans")] = None,
) -> None:
    """Evaluate the served X-ray model (models/) on a dataset split; prints metrics as JSON."""
    from smartinspect.config import get_settings
    from smartinspect.runtime import ModelRegistry
    from smartinspect.xray.evaluate import run_dataset, summarise
    from smartinspect.xray.pipeline import ScanAnalyzer

    registry = ModelRegistry.from_settings(get_settings())
    analyzer = ScanAnalyzer(registry.by_task("xray-detection"))
    p = analyzer.detector.params
    evals = run_dataset(analyzer, dataset, split, limit=limit, progress=True)
    metrics = summarise(evals, analyzer.class_names, review_threshold=p.review_threshold,
                        inspect_threshold=p.inspect_threshold)
    typer.echo(json.dumps(metrics, indent=2))


@bench_app.command("xray")
def bench_xray_cmd(
    scans: Annotated[int, typer.Option(help="number of full-size 40 ft scans")] = 10,
    seed: Annotated[int, typer.Option()] = 4242,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
) -> None:
    """Our tiled ONNX Runtime pipeline vs ultralytics + SAHI slicing on the same 40 ft scans and weights."""
    from smartinspect.bench.xray import run_xray_benchmark

    result = run_xray_benchmark(n_scans=scans, seed=seed)
    text = json.dumps(result, indent=2)
    if out:
        out.write_text(text + "\n")
    typer.echo(text)


@scans_app.command("recover")
def recover_scans_cmd() -> None:
    """Analyse scans that were stored but never analysed (a crash between storing and inference)."""
    from smartinspect.config import get_settings
    from smartinspect.xray.service import recover_pending_scans

    done = recover_pending_scans(get_settings())
    typer.echo(json.dumps({"recovered": done}))


if __name__ == "__main__":  # pragma: no cover
    app()
