"""``smartinspect datagen|train|evaluate|bench wood``. Only typer is imported here; the work loads lazily."""

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


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the wood commands to the shared CLI groups (called by smartinspect.cli)."""
    groups["datagen"].command("wood")(datagen_wood_cmd)
    groups["train"].command("wood")(train_wood_cmd)
    groups["evaluate"].command("wood")(evaluate_wood_cmd)
    groups["evaluate"].command("wood-probe")(probe_wood_cmd)
    groups["bench"].command("wood")(bench_wood_cmd)
