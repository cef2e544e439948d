"""``smartinspect datasets export-feedback``: expert decisions as a training dataset (lifecycle format)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

datasets_app = typer.Typer(help="Datasets built from the service's own records.", no_args_is_help=True)


def _served_xray_classes(settings) -> list[str]:
    """The class names of the X-ray model in ``models_dir`` (the ones boxes are labelled with), from its manifest."""
    import json

    from smartinspect.domain.tasks import THREAT_CLASSES, XRAY_TASK

    for manifest in sorted(Path(settings.models_dir).glob("*/manifest.json")):
        raw = json.loads(manifest.read_text())
        if raw.get("task") == XRAY_TASK and raw.get("params", {}).get("classes"):
            return list(raw["params"]["classes"])
    return list(THREAT_CLASSES)


@datasets_app.command("export-feedback")
def export_feedback_cmd(
    out: Annotated[Path, typer.Option("--out", help="the snapshot directory to write (created; must not hold "
                                                    "other content)")],
    kind: Annotated[str, typer.Option(help="xray (scan + boxes) or wood (image + genus)")] = "xray",
    since: Annotated[datetime | None, typer.Option(help="only decisions made at or after this time (UTC)")] = None,
) -> None:
    """Write the experts' labelled examples as a snapshot that `smartinspect train … --with-feedback` imports."""
    from smartinspect.config import get_settings
    from smartinspect.domain.review import LabelTask
    from smartinspect.lifecycle.feedback import FeedbackFormatError
    from smartinspect.review.export import ExportError, export_feedback
    from smartinspect.storage.blobs import make_blob_store
    from smartinspect.storage.db import make_engine, make_session_factory, upgrade_database

    try:
        task = LabelTask(kind)
    except ValueError:
        raise typer.BadParameter(f"unknown kind {kind!r}; valid: xray, wood", param_hint="--kind") from None
    settings = get_settings()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            snapshot = export_feedback(
                session, data_dir=settings.data_dir, out_dir=out, task=task,
                classes=_served_xray_classes(settings), blobs=make_blob_store(settings),
                since=since.replace(tzinfo=since.tzinfo or UTC) if since else None)
    except (ExportError, FeedbackFormatError) as exc:
        typer.echo(f"export failed: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(f"wrote {snapshot.kind} snapshot {snapshot.snapshot_id} with {len(snapshot.entries)} examples to "
               f"{snapshot.path} (content sha256 {snapshot.content_sha256})")


def register(groups: dict[str, typer.Typer]) -> None:
    """Add the ``datasets`` group to the main CLI."""
    groups["app"].add_typer(datasets_app, name="datasets")
