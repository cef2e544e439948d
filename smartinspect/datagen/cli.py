"""``smartinspect datagen``: synthetic data generators. Only typer is imported here; generators load lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

datagen_app = typer.Typer(help="Generate synthetic training and evaluation data.", no_args_is_help=True)


def parse_splits(text: str) -> tuple[float, float, float]:
    """"train,val,test" fractions, e.g. "0.7,0.15,0.15" or "0,0,1" for a held-out test set."""
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) < 0 or sum(parts) <= 0:
        raise typer.BadParameter(f"splits must be three comma-separated fractions (train,val,test), got {text!r}")
    return parts  # type: ignore[return-value]


@datagen_app.callback()
def _datagen() -> None:
    """Generate synthetic training and evaluation data."""  # a callback keeps `datagen xray` a sub-command


@datagen_app.command("xray")
def xray_cmd(
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
    from smartinspect.datagen.xray import XrayGenConfig, generate_dataset

    config = XrayGenConfig(pitch_mm=pitch_mm, dual_energy=dual_energy)
    path = generate_dataset(out, n_scans=n_scans, seed=seed, config=config, splits=parse_splits(splits),
                            workers=workers, progress=True)
    typer.echo(str(path))
