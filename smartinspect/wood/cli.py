"""``smartinspect datagen|train|evaluate|bench wood`` and ``smartinspect wood enroll|screen``. Only typer is imported
here; the work loads lazily."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smartinspect.clitools import emit_json, parse_splits


def datagen_wood_cmd(
    out: Annotated[Path, typer.Option(help="output directory")] = Path("datasets/wood/generated"),
    per_taxon: Annotated[int, typer.Option(min=0, help="images per known taxon")] = 400,
    seed: Annotated[int, typer.Option(min=0, help="dataset seed; image i of a taxon uses child seed (taxon, i)")] = 0,
    splits: Annotated[str, typer.Option(help="train,val,test fractions of the known-taxon images")] = "0.85,0.15,0",
    open_set_per_taxon: Annotated[int, typer.Option(min=0, help="images per open-set genus (never trained on)")] = 0,
    ood_per_kind: Annotated[int, typer.Option(min=0, help="non-wood images per kind (photo, xray, document, "
                                                          "noise)")] = 0,
    outliers_per_kind: Annotated[int, typer.Option(min=0, help="training outliers per kind (see "
                                                         "--outlier-kinds)")] = 0,
    open_set: Annotated[str, typer.Option(help="open-set genera: 'test' (evaluation) or 'validation' (choosing the "
                                               "open-set rule)")] = "test",
    outlier_kinds: Annotated[str, typer.Option(help="comma-separated outlier kinds: chimera, swap, shift, "
                                                    "texture, plain")] = "chimera,swap,texture",
    size: Annotated[int, typer.Option(min=128, max=2048, help="image side in pixels")] = 384,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Synthetic end-grain photos through a 10-14x loupe (see docs/datagen-wood.md)."""
    from smartinspect.wood.datagen.dataset import generate_dataset

    path = generate_dataset(out, per_taxon=per_taxon, seed=seed, splits=parse_splits(splits),
                            open_set_per_taxon=open_set_per_taxon, ood_per_kind=ood_per_kind,
                            outliers_per_kind=outliers_per_kind, open_set=open_set,
                            outlier_kinds=[k.strip() for k in outlier_kinds.split(",") if k.strip()], size=size,
                            workers=workers, progress=True)
    typer.echo(str(path))


def train_wood_cmd(
    config: Annotated[Path, typer.Option(help="training recipe (YAML)")] = Path("training/wood.yaml"),
    from_checkpoint: Annotated[list[Path] | None, typer.Option(
        exists=True, dir_okay=False,
        help="skip training: calibrate and package the network saved by an earlier run of this recipe "
             "(var/runs/<name>/<stamp>/model.pt); repeat it to serve several networks as one ensemble")] = None,
    seed: Annotated[int | None, typer.Option(
        min=0, help="instead of the recipe's seed (network initialisation, crop sampling; the data keep theirs): "
                    "retrain the same recipe with several seeds to see how far the figures move")] = None,
    with_feedback: Annotated[Path | None, typer.Option(help="expert feedback snapshot to merge (docs/lifecycle.md)")] = None,
    synthetic_share: Annotated[float | None, typer.Option(help="with feedback: min share of synthetic photos")] = None,
) -> None:
    """Generate data if needed, train from scratch, calibrate, export ONNX, check parity, evaluate, package."""
    from smartinspect.config import get_settings

    if with_feedback is not None:
        if from_checkpoint or seed is not None:
            raise typer.BadParameter("--with-feedback retrains the recipe; it takes neither --from-checkpoint nor --seed")
        from smartinspect.wood.train.feedback import train_wood_with_feedback

        package = train_wood_with_feedback(config, with_feedback, settings=get_settings(),
                                           synthetic_share=synthetic_share)
    else:
        from smartinspect.wood.train.pipeline import train_wood

        package = train_wood(config, settings=get_settings(), from_checkpoint=from_checkpoint, seed=seed)
    typer.echo(f"model package written to {package}")


def evaluate_wood_cmd(
    dataset: Annotated[Path, typer.Option(help="generated dataset directory")] = Path("datasets/wood/generated-test"),
    splits: Annotated[str, typer.Option(help="comma-separated splits to evaluate")] = "test,open_set,ood",
    limit: Annotated[int | None, typer.Option(help="evaluate only the first N photos")] = None,
) -> None:
    """Evaluate the served wood model (models/) on a generated dataset; prints metrics as JSON."""
    from smartinspect.config import get_settings
    from smartinspect.domain.tasks import WOOD_TASK
    from smartinspect.runtime import ModelRegistry
    from smartinspect.wood.datagen.dataset import read_index
    from smartinspect.wood.evaluate import run_photos, summarise
    from smartinspect.wood.inferencer import WoodClassifier
    from smartinspect.wood.taxa import load_taxa

    classifier = WoodClassifier(ModelRegistry.from_settings(get_settings()).by_task(WOOD_TASK))
    wanted = set(splits.split(","))
    rows = [r for r in read_index(dataset) if r["split"] in wanted][:limit]
    outcomes = run_photos(classifier, dataset, rows, table=load_taxa())
    typer.echo(json.dumps(summarise(outcomes, classifier.params), indent=2))


def bench_wood_cmd(
    photos: Annotated[int, typer.Option(min=16, help="photos to time (each is the served grid of crops, 16 per photo)")] = 64,
    seed: Annotated[int, typer.Option()] = 4242,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
) -> None:
    """Images/s through ONNX Runtime vs the same model in PyTorch eager, at batch 1 and batch 16."""
    from smartinspect.wood.bench import run_wood_benchmark

    emit_json(run_wood_benchmark(n_photos=photos, seed=seed), out)


def probe_wood_cmd(
    package: Annotated[list[Path], typer.Option(exists=True, file_okay=False, help="a model package folder; repeat "
                                                "it to compare packages")],
    seed: Annotated[int, typer.Option(help="generator seed (not the test seed 2026)")] = 5000,
    photos: Annotated[int, typer.Option(min=1, help="non-wood photos per kind to draw")] = 220,
) -> None:
    """Non-wood photos off the test set: how many each package accepts as wood, per scene (docs/wood.md)."""
    from smartinspect.wood.probe import probe_nonwood

    for line in probe_nonwood(package, seed=seed, photos=photos):
        typer.echo(line)


wood_app = typer.Typer(help="Wood screening on a lab's own reference collection (docs/wood.md).",
                       no_args_is_help=True)


@wood_app.command("enroll")
def enroll_cmd(
    references: Annotated[Path, typer.Option(help="one folder per taxon (genus or binomial), photos inside or in "
                                                  "one sub-folder per specimen")],
    out: Annotated[Path | None, typer.Option(help="package folder to write (replaced atomically); default "
                                                  "<data dir>/candidates/wood-enrolled")] = None,
    append_to: Annotated[Path | None, typer.Option(help="an enrolled package to extend with these references "
                                                        "(new taxa or more photos; its own photos are not needed)")
                         ] = None,
    source: Annotated[str | None, typer.Option(help="where the references come from, for the model card (e.g. "
                                                    "'xylarium of lab X, 2026 photos')")] = None,
    track: Annotated[bool, typer.Option(help="log the enrollment as an MLflow run")] = True,
    register: Annotated[bool, typer.Option(help="register the package as the challenger, for `smartinspect "
                                                "promote wood-enrolled` (needs --track)")] = True,
) -> None:
    """Enroll reference photos: pretrained features, reference bank, calibrated open-set rule, package; registered
    as the challenger. Serve it with `smartinspect promote wood-enrolled` and `smartinspect models reload`."""
    from smartinspect.config import get_settings
    from smartinspect.wood.train.enroll import EnrollmentError
    from smartinspect.wood.train.enroll_package import enroll

    settings = get_settings()
    out = out or settings.data_dir / "candidates" / "wood-enrolled"
    try:
        result = enroll(references, out, settings=settings, source=source, track=track, append_to=append_to,
                        register=register and track)
    except EnrollmentError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    emit_json({"package": str(result.package), "taxa": result.manifest["references"]["taxa"],
               "calibration": result.manifest["metrics"]["calibration"], "seconds": result.seconds,
               "registered": bool(register and track)})


@wood_app.command("screen")
def screen_cmd(
    files: Annotated[list[Path], typer.Argument(help="photos to screen")],
    model: Annotated[Path, typer.Option(help="a wood package folder (enrolled or synthetic-trained)")],
) -> None:
    """One JSON object per photo, in input order: top_k, call, abstained and its reason (exit 1 if a photo could
    not be read)."""
    from smartinspect.config import get_settings
    from smartinspect.runtime import load_package
    from smartinspect.wood.enrolled import classifier_for, screen_files

    try:
        classifier = classifier_for(load_package(model))
    except (OSError, ValueError, KeyError) as exc:
        typer.echo(f"error: {model} is not a usable wood package: {exc}", err=True)
        raise typer.Exit(2) from exc
    records = screen_files(classifier, files, get_settings())
    for record in records:
        typer.echo(json.dumps(record))
    if any("error" in r for r in records):
        raise typer.Exit(1)


def evaluate_enrolled_cmd(
    out: Annotated[Path | None, typer.Option(help="write the JSON result here")] = None,
    pool: Annotated[Path, typer.Option(help="where the synthetic open-set photos are rendered (once)")] = Path(
        "datasets/wood/generated-enroll"),
    refs: Annotated[int, typer.Option(min=1, help="reference candidates per taxon")] = 30,
    queries: Annotated[int, typer.Option(min=1, help="screened photos per taxon")] = 15,
    draws: Annotated[int, typer.Option(min=1, help="reference draws per k")] = 3,
    xray_samples: Annotated[Path, typer.Option(help="real X-ray samples (non-wood)")] = Path(
        "../shared/data/xray-real-samples/images"),
    seed: Annotated[int, typer.Option()] = 7000,
    ks: Annotated[str, typer.Option(help="reference photos per taxon to measure, comma-separated")] = "1,3,10,30",
    timing_photos: Annotated[int, typer.Option(min=0, help="also time `wood enroll` on this many photos per taxon "
                                                          "(14 taxa) and screening; 0: skip")] = 36,
) -> None:
    """Enrollment on synthetic taxa the synthetic network never saw (k = 1, 3, 10, 30 photos per taxon), a
    left-out taxon, and real non-wood photos (docs/wood.md, "Enrolled reference collections")."""
    from smartinspect.wood.train.enroll_measure import run_measurement

    emit_json(run_measurement(pool, refs=refs, queries=queries, draws=draws, xray_dir=xray_samples, seed=seed,
                              timing_per_taxon=timing_photos, ks=tuple(int(k) for k in ks.split(","))), out)


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the wood commands to the shared CLI groups (called by smartinspect.cli)."""
    groups["datagen"].command("wood")(datagen_wood_cmd)
    groups["train"].command("wood")(train_wood_cmd)
    groups["evaluate"].command("wood")(evaluate_wood_cmd)
    groups["evaluate"].command("wood-probe")(probe_wood_cmd)
    groups["bench"].command("wood")(bench_wood_cmd)
    groups["evaluate"].command("wood-enrolled")(evaluate_enrolled_cmd)
    groups["app"].add_typer(wood_app, name="wood")
