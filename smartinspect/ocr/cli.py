"""CLI of the OCR engine (registered into the shared groups by ``smartinspect.cli``):

- ``smartinspect ocr FILE...``: OCR documents, JSON out (pages, lines, and the extracted fields);
- ``smartinspect ocr-import-models``: re-create models/ocr-{det,cls,rec} from the rapidocr wheel;
- ``smartinspect bench ocr``: our engine vs ``RapidOCR()`` (docs/benchmarks.md);
- ``smartinspect documents recover``: finish documents a crash left unprocessed.
Heavy imports wait inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smartinspect.clitools import emit_json
from smartinspect.config import REPO_ROOT

documents_app = typer.Typer(help="Stored documents: recovery after a crash.", no_args_is_help=True)


def ocr_cmd(
    files: Annotated[list[Path], typer.Argument(help="PDF, PNG, JPEG or TIFF files", exists=True, dir_okay=False)],
    extract: Annotated[bool, typer.Option("--extract/--no-extract", help="also extract and validate key elements")
                       ] = True,
    doc_type: Annotated[str | None, typer.Option(help="type hint: declaration, invoice, packing_list, "
                                                      "bill_of_lading")] = None,
    indent: Annotated[int | None, typer.Option(help="indent the JSON (default: one line per file)")] = None,
) -> None:
    """OCR documents with the served PP-OCR models; prints one JSON object per file."""
    from smartinspect.config import get_settings
    from smartinspect.ocr.engine import OcrEngine, OcrModelsMissing
    from smartinspect.ocr.intake import DocumentRejected
    from smartinspect.runtime import ModelRegistry

    settings = get_settings()
    try:
        engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)
    except OcrModelsMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    failed = False
    for path in files:
        try:
            text = engine.read_document(path.read_bytes(), filename=path.name, settings=settings)
        except DocumentRejected as exc:
            typer.echo(json.dumps({"file": str(path), "error": {"code": exc.code, "message": exc.message}},
                                  ensure_ascii=False), err=True)
            failed = True
            continue
        out = {"file": str(path), **text.to_json()}
        if extract:
            out.update(_extraction(text, doc_type))
        typer.echo(json.dumps(out, ensure_ascii=False, indent=indent))
    if failed:
        raise typer.Exit(1)


def _extraction(text, doc_type: str | None) -> dict:
    try:
        from smartinspect.documents.extract import extract_document
        from smartinspect.documents.validate import validate_extraction
    except ModuleNotFoundError:  # key-element extraction not in this build: text only
        return {}
    extraction = extract_document(text, type_hint=doc_type)
    return {"extraction": extraction.to_json(),
            "validations": [v.to_json() for v in validate_extraction(extraction)]}


def import_models_cmd(
    models_dir: Annotated[Path, typer.Option(help="where the model packages go")] = REPO_ROOT / "models",
    metrics: Annotated[Path | None, typer.Option(help="a `bench ocr` JSON whose figures go into the manifests "
                                                      "and model cards, and into an MLflow run")] = None,
) -> None:
    """Copy RapidOCR's default PP-OCR det/cls/rec ONNX files (rapidocr==3.10.0 wheel) into models/, with manifests."""
    from smartinspect.config import get_settings
    from smartinspect.ocr.package import import_models, log_import_run

    figures = _bench_figures(json.loads(metrics.read_text())) if metrics else {}
    written = import_models(models_dir, metrics=figures)
    if metrics:
        run = log_import_run(get_settings(), written, figures)
        written = import_models(models_dir, metrics=figures, mlflow_run=run)
    typer.echo(json.dumps([str(p) for p in written]))


def _bench_figures(bench: dict) -> dict:
    ours = bench["ours"]
    return {"bench": {"pages": bench["pages"], "char_accuracy": ours["char_accuracy"],
                      "char_f1_unordered": ours["char_f1_unordered"], "line_recall": ours["line_recall"],
                      "seconds_per_page": ours["seconds_per_page"], "cpu_seconds_per_page": ours["cpu_seconds_per_page"],
                      "speedup_vs_rapidocr": bench["speedup"], "rapidocr_char_accuracy": bench["rapidocr"]["char_accuracy"],
                      "rapidocr_char_f1_unordered": bench["rapidocr"]["char_f1_unordered"],
                      "machine_cpus": bench["machine"]["cpus"],
                      "machine_load_avg_1m": bench["machine"].get("load_avg_1m_at_start")}}


def bench_ocr_cmd(
    pages: Annotated[int, typer.Option(min=1, help="number of pages")] = 12,
    seed: Annotated[int, typer.Option()] = 4343,
    source: Annotated[str, typer.Option(help="generator (datagen documents, held-out layouts), own, or dir")
                      ] = "generator",
    pages_dir: Annotated[Path | None, typer.Option(help="a generated set on disk (with --source dir)")] = None,
    out: Annotated[Path | None, typer.Option(help="write the JSON result here (e.g. docs/bench-ocr.json)")] = None,
) -> None:
    """Our OCR engine vs RapidOCR's default `RapidOCR()(page)`: same pages, same model files; speed and accuracy."""
    from smartinspect.ocr.bench import run_ocr_benchmark

    result = run_ocr_benchmark(n_pages=pages, seed=seed, source=source, pages_dir=pages_dir)
    emit_json(result, out, ascii_only=False)


@documents_app.command("recover")
def recover_documents_cmd() -> None:
    """Process documents that were stored but never processed (a crash between storing and OCR)."""
    from smartinspect.config import get_settings
    from smartinspect.documents.service import recover_pending_documents
    from smartinspect.ocr.engine import OcrModelsMissing

    try:
        recovered = recover_pending_documents(get_settings())
    except OcrModelsMissing as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"recovered": recovered}))


def register(groups: dict[str, typer.Typer]) -> None:
    groups["app"].command("ocr")(ocr_cmd)
    groups["app"].command("ocr-import-models")(import_models_cmd)
    groups["bench"].command("ocr")(bench_ocr_cmd)
    groups["app"].add_typer(documents_app, name="documents")
