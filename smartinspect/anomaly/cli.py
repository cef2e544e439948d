"""``smartinspect anomaly fit|score|evaluate|bench``. Only typer is imported here; the work loads lazily."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

anomaly_app = typer.Typer(help="Site-normal X-ray anomaly model (docs/anomaly.md).", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@anomaly_app.command("fit")
def fit_cmd(
    images: Annotated[Path, typer.Option(help="folder of normal scans (PNG/TIFF 8/16-bit, grey or pseudo-colour, "
                                              "8-bit JPEG)")],
    out: Annotated[Path, typer.Option(help="package folder to write (replaced atomically)")],
    false_alarm_rate: Annotated[float, typer.Option(min=0.001, max=0.49, help="threshold: share of held-out normal "
                                                                             "scans flagged")] = 0.05,
    scale: Annotated[float, typer.Option(min=0.05, max=4.0, help="model px per input px (0.5: 5 -> 10 mm/px)")] = 0.5,
    window: Annotated[float | None, typer.Option(help="attenuation shown black (default: from the images)")] = None,
    pitch_mm: Annotated[float | None, typer.Option(help="pixel pitch of the images, if known")] = None,
    bank_size: Annotated[int, typer.Option(min=16, help="memory bank entries (greedy coreset)")] = 10000,
    per_image: Annotated[int, typer.Option(min=1, help="coreset candidates per image")] = 400,
    calibration_fraction: Annotated[float, typer.Option(help="share of images held out for the threshold")] = 0.2,
    top_k: Annotated[int, typer.Option(min=1, help="image score: mean of the k highest smoothed patch scores")] = 5,
    eval_dataset: Annotated[Path | None, typer.Option(help="generator dataset to evaluate after fitting")] = None,
    eval_split: Annotated[str, typer.Option(help="its split")] = "test",
    eval_images: Annotated[Path | None, typer.Option(help="labelled images (with --eval-masks) to evaluate")] = None,
    eval_masks: Annotated[Path | None, typer.Option(help="class masks named as the images (non-zero: threat)")] = None,
    name: Annotated[str, typer.Option(help="model name in the manifest")] = "xray-anomaly",
    site: Annotated[str, typer.Option(help="site (scanner location) whose normal traffic the images are")] = "default",
    seed: Annotated[int, typer.Option(min=0)] = 0,
    cargo_only: Annotated[bool, typer.Option("--cargo-only", help="fit and score the container interior only "
                                             "(cargo scans; needs --pitch-mm)")] = False,
    features_from: Annotated[Path | None, typer.Option(help="an X-ray detector package (models/xray-detector): "
                                                            "features from its X-ray-trained backbone instead of "
                                                            "ImageNet's, read through its input windows")] = None,
) -> None:
    """Fit the anomaly model on a folder of normal scans; logs an MLflow run and writes the package."""
    from smartinspect.anomaly.evaluate import generator_labels, mask_labels
    from smartinspect.anomaly.train.fit import FitConfig
    from smartinspect.anomaly.train.package import fit_package
    from smartinspect.anomaly.types import AnomalyInputError
    from smartinspect.config import get_settings

    try:
        cfg = FitConfig(scale=scale, window=window, fit_pitch_mm=pitch_mm, bank_size=bank_size, per_image=per_image,
                        calibration_fraction=calibration_fraction, false_alarm_rate=false_alarm_rate, top_k=top_k,
                        seed=seed, site=site, crop="cargo" if cargo_only else "none",
                        features_from=str(features_from) if features_from is not None else None)
        evaluations = {}
        if eval_dataset is not None:
            evaluations[f"generator_{eval_dataset.name}_{eval_split}"] = generator_labels(eval_dataset, eval_split)
        if eval_images is not None:
            if eval_masks is None:
                _fail("--eval-images needs --eval-masks")
            evaluations[f"masks_{eval_images.parent.name}"] = mask_labels(eval_images, eval_masks)
        package = fit_package(images, out, cfg, settings=get_settings(), name=name, evaluations=evaluations)
    except (AnomalyInputError, ValueError) as exc:
        _fail(str(exc))
    typer.echo(f"anomaly package written to {package}")


@anomaly_app.command("score")
def score_cmd(
    files: Annotated[list[Path], typer.Argument(help="scan images to score")],
    model: Annotated[Path, typer.Option(help="anomaly package folder")] = Path("models/xray-anomaly"),
    heatmap_dir: Annotated[Path, typer.Option(help="where heatmap PNGs are written")] = Path("anomaly-heatmaps"),
    pitch_mm: Annotated[float | None, typer.Option(help="pixel pitch of the files, if known")] = None,
) -> None:
    """Print one JSON object per file, in input order: file, anomaly_score, anomalous, threshold, region, heatmap.

    A file that cannot be read gets {"file", "error", "code"} and the exit status is 1 after all files."""
    from smartinspect.anomaly.overlay import write_heatmap
    from smartinspect.anomaly.preprocess import read_attenuation
    from smartinspect.anomaly.scorer import AnomalyScorer
    from smartinspect.anomaly.types import AnomalyInputError, AnomalyPackageError

    try:
        scorer = AnomalyScorer.from_package(model)
    except (AnomalyPackageError, FileNotFoundError, ValueError, KeyError) as exc:
        _fail(f"cannot load the anomaly package {model}: {exc}")
    failed = False
    used: set[str] = set()
    for index, path in enumerate(files):
        try:
            attenuation = read_attenuation(path)
            result = scorer.score(attenuation, pitch_mm=pitch_mm)
        except AnomalyInputError as exc:
            failed = True
            typer.echo(json.dumps({"file": str(path), "error": exc.message, "code": exc.code}))
            continue
        stem = path.stem if path.stem not in used else f"{path.stem}-{index}"
        used.add(stem)
        heatmap = write_heatmap(heatmap_dir / f"{stem}.anomaly.png", attenuation, result, window=scorer.view.window)
        typer.echo(json.dumps({
            "file": str(path), "anomaly_score": round(result.score, 4), "anomalous": result.anomalous,
            "threshold": round(result.threshold, 4), "region": list(result.region),
            "region_score": round(result.region_score, 4), "heatmap": str(heatmap),
        }))
    if failed:
        raise typer.Exit(code=1)


@anomaly_app.command("evaluate")
def evaluate_cmd(
    model: Annotated[Path, typer.Option(help="anomaly package folder")] = Path("models/xray-anomaly"),
    dataset: Annotated[Path | None, typer.Option(help="generator dataset (labels: any box = anomalous)")] = None,
    split: Annotated[str, typer.Option(help="its split")] = "test",
    images: Annotated[Path | None, typer.Option(help="labelled images (with --masks)")] = None,
    masks: Annotated[Path | None, typer.Option(help="class masks named as the images (non-zero: threat)")] = None,
    false_alarm_rate: Annotated[float, typer.Option(min=0.001, max=0.5)] = 0.10,
) -> None:
    """AUROC and detection at a false-alarm rate on a labelled set; prints JSON."""
    from smartinspect.anomaly.evaluate import evaluate_scorer, generator_labels, mask_labels
    from smartinspect.anomaly.scorer import AnomalyScorer
    from smartinspect.anomaly.types import AnomalyInputError

    if (dataset is None) == (images is None) or (images is not None and masks is None):
        _fail("give either --dataset (a generator dataset) or --images with --masks")
    try:
        items = generator_labels(dataset, split) if dataset is not None else mask_labels(images, masks)
        result = evaluate_scorer(AnomalyScorer.from_package(model), items, false_alarm_rate=false_alarm_rate)
    except AnomalyInputError as exc:
        _fail(exc.message)
    typer.echo(json.dumps(result.as_dict(), indent=2))


@anomaly_app.command("bench")
def bench_cmd(
    model: Annotated[Path, typer.Option(help="anomaly package folder")] = Path("models/xray-anomaly"),
    size: Annotated[int, typer.Option(min=64, max=4096, help="square image side in input pixels")] = 512,
    runs: Annotated[int, typer.Option(min=1)] = 10,
    threads: Annotated[int, typer.Option(min=0, help="ONNX Runtime intra-op threads (0: all cores)")] = 0,
) -> None:
    """Seconds per ``size`` x ``size`` image through score() (after one warm-up); prints JSON."""
    from smartinspect.anomaly.bench import bench_scoring

    typer.echo(json.dumps(bench_scoring(model, size=size, runs=runs, threads=threads), indent=2))


def register(groups: dict[str, typer.Typer]) -> None:
    groups["app"].add_typer(anomaly_app, name="anomaly")
