"""CLI of the documents capability: ``datagen documents`` and ``evaluate documents`` (registered into the
shared groups by ``smartinspect.cli``). Heavy imports wait inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smartinspect.config import REPO_ROOT


def _layouts(value: str) -> tuple[str, ...]:
    from smartinspect.documents.datagen.layouts import DEVELOPMENT_LAYOUTS, HELD_OUT_LAYOUTS, LAYOUTS

    named = {"dev": DEVELOPMENT_LAYOUTS, "held-out": HELD_OUT_LAYOUTS, "all": LAYOUTS}
    layouts = named.get(value) or tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in layouts if v not in LAYOUTS]
    if unknown or not layouts:
        raise typer.BadParameter(f"unknown layout(s) {unknown}; use dev, held-out, all or a list of {LAYOUTS}")
    return layouts


def datagen_documents_cmd(
    out: Annotated[Path, typer.Option(help="output directory")] = Path("datasets/documents/generated"),
    n: Annotated[int, typer.Option("--n", min=1, help="number of consignments (4 documents each)")] = 100,
    seed: Annotated[int, typer.Option(min=0, help="dataset seed; consignment i uses child seed i")] = 0,
    layouts: Annotated[str, typer.Option(help="dev (kv,grid,columns), held-out (banner), all, or a list")] = "dev",
    plant_fraction: Annotated[float, typer.Option(min=0.0, max=1.0, help="consignments with a planted "
                                                                         "inconsistency")] = 0.3,
    strength: Annotated[str, typer.Option(help="degradation strength range LOW,HIGH in [0, 1]")] = "0.2,0.8",
    clean: Annotated[bool, typer.Option("--clean", help="no degradation at all (layout debugging)")] = False,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Synthetic customs documents (declaration, invoice, packing list, B/L) with ground truth (docs/datagen-documents.md)."""
    from smartinspect.documents.datagen.dataset import generate_dataset
    from smartinspect.documents.datagen.generate import DocGenConfig

    try:
        lo, hi = (float(v) for v in strength.split(","))
        config = DocGenConfig(layouts=_layouts(layouts), plant_fraction=plant_fraction, strength=(lo, hi),
                              degradation_mix=(1.0, 0.0, 0.0) if clean else DocGenConfig().degradation_mix)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(str(generate_dataset(out, n_consignments=n, seed=seed, config=config, workers=workers)))


def evaluate_documents_cmd(
    dataset: Annotated[Path, typer.Option(help="generated dataset directory")] = Path("datasets/documents/generated-test3"),
    limit: Annotated[int | None, typer.Option(help="only the first N documents")] = None,
    ocr: Annotated[str, typer.Option(help="engine: the served OCR models; truth: ground-truth lines "
                                             "(a SROIE folder: its box/ transcription)")] = "engine",
    cache: Annotated[Path | None, typer.Option(help="keep/reuse each page's OCR result here (re-scoring)")] = None,
    write_docs: Annotated[bool, typer.Option("--write-docs/--no-write-docs",
                                             help="write docs/eval-documents.json and the figures in docs/documents.md")
                          ] = False,
    split: Annotated[str, typer.Option(help="SROIE-layout folders only: tune, held-out or all (docs/documents.md)")
                     ] = "held-out",
    fields: Annotated[str, typer.Option(help="SROIE-layout folders only: keys to score")] = "company,date,total",
    out: Annotated[Path | None, typer.Option(help="SROIE-layout folders only: write the JSON result here")] = None,
) -> None:
    """Field F1, planted-discrepancy detection and false flags on a generated set (real OCR engine by default).

    A folder in the SROIE layout (img/ + key/) is scored instead per key field, SROIE task 3 style, through the
    served path (docs/documents.md, "Real receipts")."""
    from smartinspect.documents.sroie import is_sroie_layout

    if ocr not in ("engine", "truth"):
        raise typer.BadParameter(f"--ocr must be engine or truth, got {ocr!r}")
    if is_sroie_layout(dataset):
        _evaluate_sroie(dataset, split=split, fields=fields, cache=cache, limit=limit, out=out, ocr=ocr)
        return
    from smartinspect.documents.datagen.dataset import load_truths
    from smartinspect.documents.evaluate import run_documents, summarise, verify_consignments, write_report

    truths = load_truths(dataset)[:limit]
    read_page = None
    if ocr == "engine":
        from smartinspect.config import get_settings
        from smartinspect.ocr.engine import OcrEngine
        from smartinspect.runtime import ModelRegistry

        read_page = OcrEngine.from_registry(ModelRegistry.from_settings(get_settings())).read_image
    evals = run_documents(truths, dataset, read_page, cache=cache, progress=True)
    result = summarise(evals, verify_consignments(evals))
    info = json.loads((dataset / "dataset.json").read_text()) if (dataset / "dataset.json").exists() else {}
    timing = cache / "timing.json" if cache else None  # OCR time of the run that filled the cache
    if timing is not None and result["seconds_per_page"]["ocr"] is not None and limit is None:
        timing.write_text(json.dumps({"ocr_seconds_per_page": result["seconds_per_page"]["ocr"]}) + "\n")
    result["meta"] = {"dataset": str(dataset), "seed": info.get("seed"), "layouts": info.get("config", {}).get("layouts"),
                      "ocr": "PP-OCRv6 (smartinspect.ocr engine)" if ocr == "engine" else "ground-truth lines",
                      "command": f"smartinspect evaluate documents --dataset {dataset}" + (f" --limit {limit}" if limit else ""),
                      **(json.loads(timing.read_text()) if timing is not None and timing.exists() else {})}
    if write_docs:
        write_report(result, json_path=REPO_ROOT / "docs" / "eval-documents.json",
                     doc_path=REPO_ROOT / "docs" / "documents.md")
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _evaluate_sroie(dataset: Path, *, split: str, fields: str, cache: Path | None, limit: int | None,
                    out: Path | None, ocr: str = "engine") -> None:
    from smartinspect.documents.sroie import FIELDS, SPLITS, run

    keys = tuple(k.strip() for k in fields.split(",") if k.strip())
    if split not in SPLITS:
        raise typer.BadParameter(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    if not keys or any(k not in FIELDS for k in keys):
        raise typer.BadParameter(f"--fields must name some of {', '.join(FIELDS)}, got {fields!r}")
    import os

    load = os.getloadavg()[0]  # the OCR timing's context: the machine is shared
    result = run(dataset, split=split, keys=keys, cache=cache, limit=limit, progress=True, ocr=ocr)
    result["meta"] = {"dataset": str(dataset), "command": f"smartinspect evaluate documents --dataset {dataset} "
                      f"--split {split} --fields {','.join(keys)}" + (f" --limit {limit}" if limit else "")
                      + (" --ocr truth" if ocr == "truth" else ""),
                      "machine": {"cpus": os.cpu_count(), "load_avg_1m_at_start": round(load, 2)}}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
    summary = {k: v for k, v in result.items() if k != "per_receipt"}
    typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))


def evaluate_invoice_profile_cmd(
    n: Annotated[int, typer.Option("--n", min=1, help="receipts/invoices made per style (till, fapiao, service)")] = 10,
    seed: Annotated[int, typer.Option(min=0)] = 11,
    dataset: Annotated[Path | None, typer.Option(help="also score the customs invoices of this generated set")] = None,
    cache: Annotated[Path | None, typer.Option(help="OCR cache of that set (from evaluate documents --cache)")] = None,
    write_docs: Annotated[bool, typer.Option("--write-docs/--no-write-docs",
                                             help="write docs/eval-invoice-profile.json")] = False,
) -> None:
    """The general invoice profile (seller, date, total) on made receipts/invoices and, optionally, customs invoices."""
    import numpy as np

    from smartinspect.config import get_settings
    from smartinspect.documents.datagen.receipts import STYLES, generate_receipt
    from smartinspect.documents.profiles import evaluate_profile
    from smartinspect.ocr.engine import OcrEngine
    from smartinspect.ocr.types import DocumentText
    from smartinspect.runtime import ModelRegistry

    engine = OcrEngine.from_registry(ModelRegistry.from_settings(get_settings()))
    rng = np.random.default_rng(seed)
    samples = {style: [] for style in STYLES}
    for style in STYLES:
        for _ in range(n):
            image, truth = generate_receipt(rng, style)
            samples[style].append((DocumentText([engine.read_image(image)], "image/png"), truth))
    result = {"made_receipts": {style: evaluate_profile(s) for style, s in samples.items()}}
    result["made_receipts"]["all"] = evaluate_profile([x for s in samples.values() for x in s])
    if dataset is not None:
        from smartinspect.documents.datagen.dataset import load_truths
        from smartinspect.documents.evaluate import read_cached_page

        pairs = [(DocumentText([read_cached_page(t, dataset, engine.read_image, cache)], "image/png"),
                  {"seller": t["fields"].get("consignor_name"), "date": t["fields"].get("invoice_date"),
                   "total": t["fields"].get("total_value")})
                 for t in load_truths(dataset) if t["doc_type"] == "invoice"]
        result["customs_invoices"] = evaluate_profile(pairs)
    result["meta"] = {"command": f"smartinspect evaluate invoice-profile --n {n} --seed {seed}"
                                 + (f" --dataset {dataset}" if dataset else "") + (f" --cache {cache}" if cache else "")}
    if write_docs:
        from smartinspect.documents.evaluate import replace_block

        (REPO_ROOT / "docs" / "eval-invoice-profile.json").write_text(json.dumps(result, indent=2) + "\n")
        rows = [f"| made: {style} | {r['documents']} | {r['seller']['f1']:.3f} | {r['date']['f1']:.3f} | "
                f"{r['total']['f1']:.3f} | **{r['overall']['f1']:.3f}** |" for style, r in result["made_receipts"].items()]
        if "customs_invoices" in result:
            r = result["customs_invoices"]
            rows.append(f"| held-out customs invoices | {r['documents']} | {r['seller']['f1']:.3f} | "
                        f"{r['date']['f1']:.3f} | {r['total']['f1']:.3f} | **{r['overall']['f1']:.3f}** |")
        block = "\n".join([f"Command: `{result['meta']['command']}` (real OCR engine).", "",
                           "| documents | n | seller F1 | date F1 | total F1 | overall F1 |", "|---|---|---|---|---|---|",
                           *rows])
        replace_block(REPO_ROOT / "docs" / "documents.md", "profile", block)
    typer.echo(json.dumps(result, indent=2, ensure_ascii=False))


def train_keyelements_cmd(
    dataset: Annotated[Path, typer.Option(help="SROIE-layout folder; only its tune part is used")
                       ] = Path("../shared/data/sroie-dev"),
    cache: Annotated[Path, typer.Option(help="OCR cache (served path), shared with evaluate documents")
                     ] = Path("var/sroie-ocr"),
    made: Annotated[int, typer.Option(min=0, help="made receipts per style (till, fapiao, service)")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="seed of the made receipts")] = 7,
    out_dir: Annotated[Path, typer.Option(help="where the package goes")] = REPO_ROOT / "models",
) -> None:
    """Train the key-element model (seller spans, total amounts) and package models/doc-keyelements."""
    from smartinspect.config import get_settings
    from smartinspect.documents.sroie import is_sroie_layout
    from smartinspect.documents.train.keyelements import train

    if not is_sroie_layout(dataset):
        raise typer.BadParameter(f"{dataset} is not a SROIE-layout folder (img/ and key/)")
    command = (f"smartinspect train doc-keyelements --dataset {dataset} --cache {cache} --made {made} "
               f"--seed {seed}")
    manifest = train(dataset, cache=cache, made_per_style=made, seed=seed, out_dir=out_dir, command=command,
                     settings=get_settings())
    typer.echo(json.dumps({k: manifest[k] for k in ("name", "version", "metrics", "data", "mlflow")}, indent=2))


def register(groups: dict[str, typer.Typer]) -> None:
    groups["train"].command("doc-keyelements")(train_keyelements_cmd)
    groups["datagen"].command("documents")(datagen_documents_cmd)
    groups["evaluate"].command("documents")(evaluate_documents_cmd)
    groups["evaluate"].command("invoice-profile")(evaluate_invoice_profile_cmd)
