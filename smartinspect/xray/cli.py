"""``smartinspect datagen|train|export|evaluate|bench xray`` and ``scans recover``. Only typer is imported here; the
work loads lazily inside each command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smartinspect.clitools import emit_json, parse_splits
from smartinspect.domain.tasks import XRAY_TASK

scans_app = typer.Typer(help="Stored scans: recovery after a crash.", no_args_is_help=True)


def datagen_xray_cmd(
    out: Annotated[Path, typer.Option(help="output directory")] = Path("datasets/xray/generated"),
    n_scans: Annotated[int, typer.Option(min=1, help="number of scans")] = 600,
    seed: Annotated[int, typer.Option(min=0, help="dataset seed; scan i uses child seed i")] = 0,
    pitch_mm: Annotated[float, typer.Option(min=0.5, max=50.0, help="pixel pitch (mm)")] = 5.0,
    dual_energy: Annotated[bool, typer.Option("--dual-energy/--single-energy",
                                              help="also write the low-energy image")] = True,
    splits: Annotated[str, typer.Option(help="train,val,test fractions; '0,0,1' makes a held-out test set like "
                                              "the one `smartinspect train xray` makes")] = "0.7,0.15,0.15",
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Synthetic container X-ray scans: 16-bit PNGs, YOLO labels and manifests (see docs/datagen-xray.md)."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_dataset

    config = XrayGenConfig(pitch_mm=pitch_mm, dual_energy=dual_energy)
    path = generate_dataset(out, n_scans=n_scans, seed=seed, config=config, splits=parse_splits(splits),
                            workers=workers, progress=True)
    typer.echo(str(path))


def train_xray_cmd(
    config: Annotated[Path, typer.Option(help="training recipe (YAML)")] = Path("training/xray.yaml"),
    with_feedback: Annotated[Path | None, typer.Option(help="expert feedback snapshot to merge (docs/lifecycle.md)")] = None,
    synthetic_share: Annotated[float | None, typer.Option(help="with feedback: min share of synthetic scans")] = None,
) -> None:
    """Generate data if needed, train the detector from scratch, export ONNX, check parity, evaluate, package."""
    from smartinspect.config import get_settings
    from smartinspect.xray.kind import train

    package = train(config, settings=get_settings(), feedback=with_feedback, synthetic_share=synthetic_share)
    typer.echo(f"model package written to {package}")


def calibrate_xray_cmd(
    package: Annotated[Path, typer.Option(help="detector package to calibrate in place (e.g. var/candidates/xray-detector)")],
    dataset: Annotated[Path, typer.Option(help="calibration set of the traffic mix to serve (generated layout)")],
    split: Annotated[str, typer.Option()] = "val",
    max_false_alarm_rate: Annotated[float, typer.Option(help="clean scans sent to INSPECT")] = 0.01,
) -> None:
    """Fit the detector's score calibration (Platt) and its INSPECT / REVIEW thresholds on a calibration set and
    rewrite the package's manifest; the network is untouched. Training does the same on its own calibration set."""
    from smartinspect.xray.train.package import record_calibration

    typer.echo(json.dumps(record_calibration(package, dataset, split, max_false_alarm_rate=max_false_alarm_rate),
                          indent=2))


def export_xray_cmd(
    weights: Annotated[Path, typer.Argument(help="ultralytics .pt weights")],
    imgsz: Annotated[int, typer.Option()] = 320,
) -> None:
    """Export trained weights to ONNX (dynamic batch) beside the weights file."""
    from smartinspect.xray.train.pipeline import export_onnx

    typer.echo(str(export_onnx(weights, imgsz=imgsz)))


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
    analyzer = ScanAnalyzer(registry.by_task(XRAY_TASK))
    p = analyzer.detector.params
    evals = run_dataset(analyzer, dataset, split, limit=limit, progress=True)
    metrics = summarise(evals, analyzer.class_names, review_threshold=p.review_threshold,
                        inspect_threshold=p.inspect_threshold)
    typer.echo(json.dumps(metrics, indent=2))


def bench_xray_cmd(
    scans: Annotated[int, typer.Option(help="number of full-size 40 ft scans")] = 10,
    seed: Annotated[int, typer.Option()] = 4242,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
    baseline: Annotated[Path | None, typer.Option(help="YOLO package (with model.pt) that ultralytics + SAHI run; "
                                                  "default: the champion")] = None,
) -> None:
    """The served scan pipeline (detector + anomaly) vs ultralytics + SAHI slicing on the same 40 ft scans."""
    from smartinspect.xray.bench import run_xray_benchmark

    result = run_xray_benchmark(n_scans=scans, seed=seed, baseline=baseline)
    emit_json(result, out)


def recover_scans_cmd() -> None:
    """Analyse scans that were stored but never analysed (a crash between storing and inference)."""
    from smartinspect.config import get_settings
    from smartinspect.xray.service import recover_pending_scans

    done = recover_pending_scans(get_settings())
    typer.echo(json.dumps({"recovered": done}))


def visibility_xray_cmd(
    dataset: Annotated[Path, typer.Option(help="generated dataset directory")] = Path("datasets/xray/generated-test"),
    split: Annotated[str, typer.Option(help="split, or comma-separated splits")] = "test",
    limit: Annotated[int | None, typer.Option(help="evaluate only the first N scans")] = None,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
) -> None:
    """Where the served detector fails: recall by class and by how visible the threat is (docs/xray.md)."""
    from smartinspect.config import get_settings
    from smartinspect.runtime import ModelRegistry
    from smartinspect.xray.pipeline import ScanAnalyzer
    from smartinspect.xray.visibility import visibility_breakdown

    analyzer = ScanAnalyzer(ModelRegistry.from_settings(get_settings()).by_task(XRAY_TASK))
    emit_json(visibility_breakdown(analyzer, dataset, split.split(","), limit=limit), out)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the X-ray commands to the shared CLI groups (called by smartinspect.cli)."""
    groups["datagen"].command("xray")(datagen_xray_cmd)
    groups["train"].command("xray")(train_xray_cmd)
    groups["train"].command("xray-calibrate")(calibrate_xray_cmd)
    groups["export"].command("xray")(export_xray_cmd)
    groups["evaluate"].command("xray")(evaluate_xray_cmd)
    groups["evaluate"].command("xray-visibility")(visibility_xray_cmd)
    groups["bench"].command("xray")(bench_xray_cmd)
    scans_app.command("recover")(recover_scans_cmd)
    groups["app"].add_typer(scans_app, name="scans")
