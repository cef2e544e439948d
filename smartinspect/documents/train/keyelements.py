"""Train the key-element model: two LightGBM rankers (seller spans, total amounts) over the candidates of
``documents/keyfeatures.py``, on the *tune* part of a SROIE-layout folder plus made receipts
(``datagen/documents/receipts.py``), tracked in MLflow, exported to ONNX and packaged as ``models/doc-keyelements``.

Labels: a seller span is positive when its letters and digits match the annotated company with >= 90 %
similarity (an OCR slip in one character still marks the right span); an amount is positive when it equals the
annotated total to the cent. Out-of-fold figures (5 folds by shop: a shop's receipts are never on both sides)
choose the abstention thresholds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np

from smartinspect.documents.geometry import flatten
from smartinspect.documents.keyelements import PACKAGE, TASK
from smartinspect.documents.keyfeatures import (
    SELLER_FEATURES,
    TOTAL_FEATURES,
    amount_candidates,
    seller_features,
    seller_spans,
    total_features,
)
from smartinspect.documents.labels import split_merged_labels
from smartinspect.documents.normalise import norm_name, parse_number
from smartinspect.ocr.types import DocumentText

PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 20,
          "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
          "num_threads": 1, "verbose": -1, "seed": 7}
ROUNDS = 200


@dataclass
class Doc:
    source: str  # "sroie:<stem>" or "made:<style>:<i>"
    text: DocumentText
    seller: str | None
    total: float | None


@dataclass
class Matrix:
    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    group: list[int] = field(default_factory=list)  # document index of each block

    def add(self, x: np.ndarray, y: np.ndarray, doc: int) -> None:
        self.x.append(x)
        self.y.append(y)
        self.group.append(doc)


def document_frame(text: DocumentText):
    lines = split_merged_labels(flatten(text))
    page = text.pages[0] if text.pages else None
    width = float(page.width) if page and page.width else max((ln.x2 for ln in lines), default=1.0)
    height = float(page.height) if page and page.height else max((ln.y2 for ln in lines), default=1.0)
    return lines, width, height


def seller_label(span_text: str, seller: str) -> int:
    a, b = norm_name(span_text), norm_name(seller)
    return int(bool(a) and SequenceMatcher(None, a, b).ratio() >= 0.9)


def build(docs: list[Doc]) -> tuple[Matrix, Matrix]:
    seller, total = Matrix(), Matrix()
    for i, doc in enumerate(docs):
        lines, width, height = document_frame(doc.text)
        if not lines:
            continue
        if doc.seller:
            spans = seller_spans(lines, height)
            seller.add(seller_features(spans, lines, width, height),
                       np.array([seller_label(s.text, doc.seller) for s in spans], np.float32), i)
        if doc.total is not None:
            cands = [c for c in amount_candidates(lines) if "%" not in c.text]
            total.add(total_features(cands, lines, width, height),
                      np.array([abs(c.value - doc.total) < 0.005 for c in cands], np.float32), i)
    return seller, total


def _fit(x: np.ndarray, y: np.ndarray):
    import lightgbm as lgb

    return lgb.train(PARAMS, lgb.Dataset(x, y), num_boost_round=ROUNDS)


def out_of_fold(m: Matrix, keys: list[str], folds: int = 5, seed: int = 7) -> list[tuple[float, bool, bool]]:
    """Per document of the matrix: (best score, top-1 right, any candidate right), from models that saw no
    document of the same shop (``keys``: the shop of each document; a shop's receipts share one fold, so a
    model is measured on shops it has not seen)."""
    rng = np.random.default_rng(seed)
    fold_of_key = {k: int(rng.integers(0, folds)) for k in sorted(set(keys))}
    fold_of = [fold_of_key[k] for k in keys]
    out: list[tuple[float, bool, bool]] = [(0.0, False, False)] * len(m.x)  # in the matrix's document order
    for k in range(folds):
        train = [i for i in range(len(m.x)) if fold_of[i] != k]
        booster = _fit(np.concatenate([m.x[i] for i in train]), np.concatenate([m.y[i] for i in train]))
        for i in (i for i in range(len(m.x)) if fold_of[i] == k and len(m.x[i])):
            p = booster.predict(m.x[i])
            j = int(np.argmax(p))
            out[i] = (float(p[j]), bool(m.y[i][j]), bool(m.y[i].max() > 0))
    return out


def choose_threshold(oof: list[tuple[float, bool, bool]], *, max_right_lost: float = 0.01) -> float:
    """The highest threshold that abstains on at most ``max_right_lost`` of all documents whose answer would have
    been right: the model abstains where it is least sure, at almost no cost in accuracy."""
    n = max(1, len(oof))
    best = 0.05
    for t in np.round(np.arange(0.05, 0.95, 0.01), 2):
        lost = sum(1 for p, ok, _ in oof if p < t and ok)
        if lost / n <= max_right_lost:
            best = float(t)
    return best


def summarise_oof(oof: list[tuple[float, bool, bool]], threshold: float) -> dict[str, float]:
    n = max(1, len(oof))
    answered = [(p, ok) for p, ok, _ in oof if p >= threshold]
    return {"documents": len(oof), "top1": round(sum(ok for _, ok, _ in oof) / n, 4),
            "candidate_recall": round(sum(c for *_, c in oof) / n, 4),
            "accuracy_at_threshold": round(sum(ok for _, ok in answered) / n, 4),
            "answered": round(len(answered) / n, 4),
            "precision_at_threshold": round(sum(ok for _, ok in answered) / max(1, len(answered)), 4)}


# ---------------------------------------------------------------- data


def sroie_docs(dataset: Path, cache: Path, split: str = "tune") -> list[Doc]:
    """The split's receipts, OCR'd through the served path (cached under ``cache``)."""
    from smartinspect.config import get_settings
    from smartinspect.documents.sroie import load_samples, read_cached
    from smartinspect.ocr.engine import OcrEngine
    from smartinspect.runtime import ModelRegistry

    samples = load_samples(dataset, split)
    engine = None

    def read(data: bytes, name: str) -> DocumentText:
        nonlocal engine
        settings = get_settings()
        if engine is None:
            engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)
        return engine.read_document(data, filename=name, settings=settings)

    out = []
    for s in samples:
        text, _ = read_cached(s, read, cache)
        total = parse_number(str(s.key.get("total", "")).replace("RM", "")) if s.key.get("total") else None
        out.append(Doc(f"sroie:{s.stem}", text, s.key.get("company"), total))
    return out


def made_docs(n_per_style: int, seed: int, cache: Path) -> list[Doc]:
    """Receipts made by the generator (till, fapiao, service), OCR'd by the served engine (cached)."""
    from smartinspect.config import get_settings
    from smartinspect.documents.datagen.receipts import STYLES, generate_receipt
    from smartinspect.ocr.engine import OcrEngine
    from smartinspect.runtime import ModelRegistry

    rng = np.random.default_rng(seed)
    engine = None
    out = []
    for style in STYLES:
        for i in range(n_per_style):
            image, truth = generate_receipt(rng, style)
            path = cache / "made" / f"{seed}-{style}-{i}.json"
            if path.exists():
                text = DocumentText.from_json(json.loads(path.read_text()))
            else:
                if engine is None:
                    settings = get_settings()
                    engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)
                text = DocumentText([engine.read_image(image)], "image/png")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(text.to_json(), ensure_ascii=False))
            out.append(Doc(f"made:{style}:{i}", text, truth.get("seller"), truth.get("total")))
    return out


# ---------------------------------------------------------------- the run


def train(dataset: Path, *, cache: Path, made_per_style: int, seed: int, out_dir: Path, command: str,
          settings) -> dict[str, Any]:
    """Fit, measure out of fold, export to ONNX, log to MLflow and write the package. Returns the manifest."""
    from smartinspect.documents.train.onnx_trees import export_boosters
    from smartinspect.documents.train.package import write_package
    from smartinspect.training.tracking import configure_mlflow

    start = time.perf_counter()
    real = sroie_docs(dataset, cache, "tune")
    made = made_docs(made_per_style, seed, cache) if made_per_style else []
    docs = real + made
    seller, total = build(docs)
    metrics: dict[str, Any] = {}
    thresholds = {}
    for name, m in (("seller", seller), ("total", total)):
        oof = out_of_fold(m, [norm_name(docs[g].seller or "") or docs[g].source for g in m.group])
        thresholds[name] = choose_threshold(oof)
        real_idx = [k for k, g in enumerate(m.group) if docs[g].source.startswith("sroie:")]
        made_idx = [k for k, g in enumerate(m.group) if not docs[g].source.startswith("sroie:")]
        metrics[name] = {"tune_real_oof": summarise_oof([oof[k] for k in real_idx], thresholds[name]),
                         "made_oof": summarise_oof([oof[k] for k in made_idx], thresholds[name])}
    boosters = {"seller": _fit(np.concatenate(seller.x), np.concatenate(seller.y)),
                "total": _fit(np.concatenate(total.x), np.concatenate(total.y))}
    onnx_bytes = export_boosters(boosters, {"seller": len(SELLER_FEATURES), "total": len(TOTAL_FEATURES)},
                                 doc="smartinspect key-element rankers (seller spans, total amounts)")
    parity = _parity(onnx_bytes, boosters, {"seller": np.concatenate(seller.x), "total": np.concatenate(total.x)})
    if parity > 1e-4:
        raise RuntimeError(f"the ONNX export differs from LightGBM by {parity} (max |probability difference|)")
    data = {"sroie_tune_receipts": len(real), "made_receipts": len(made), "made_seed": seed,
            "seller_candidates": int(sum(len(x) for x in seller.x)),
            "total_candidates": int(sum(len(x) for x in total.x)), "dataset": str(dataset)}
    mlflow = configure_mlflow(settings, "doc-keyelements")
    with mlflow.start_run(run_name="doc-keyelements") as run:
        mlflow.log_params({**{k: v for k, v in PARAMS.items() if k != "verbose"}, "rounds": ROUNDS, **data,
                           **{f"threshold_{k}": v for k, v in thresholds.items()}})
        for name, groups in metrics.items():
            for part, values in groups.items():
                mlflow.log_metrics({f"{name}.{part}.{k}": float(v) for k, v in values.items()})
        mlflow.log_metric("onnx_max_abs_diff", parity)
        mlflow_info = {"run_id": run.info.run_id, "experiment": "doc-keyelements",
                       "tracking_uri": settings.mlflow_tracking_uri}
        manifest = write_package(out_dir / PACKAGE, onnx_bytes=onnx_bytes, thresholds=thresholds, metrics=metrics,
                                 data=data, mlflow_info=mlflow_info, command=command, parity=parity,
                                 seconds=round(time.perf_counter() - start, 1))
        held_out = report_held_out(dataset, cache, out_dir, settings)
        if held_out:
            mlflow.log_metrics({f"held_out.{k}.accuracy": v["accuracy"] for k, v in held_out["fields"].items()})
            manifest = write_package(out_dir / PACKAGE, onnx_bytes=onnx_bytes, thresholds=thresholds,
                                     metrics={**metrics, "held_out_served": held_out}, data=data,
                                     mlflow_info=mlflow_info, command=command, parity=parity,
                                     seconds=round(time.perf_counter() - start, 1), version=manifest["version"])
        mlflow.log_artifacts(str(out_dir / PACKAGE), artifact_path="package")
    return manifest


def report_held_out(dataset: Path, cache: Path, out_dir: Path, settings) -> dict[str, Any] | None:
    """The held-out receipts through the served extractor with the package just written, for the card. Measured
    after every choice was made (nothing here feeds back into training); None when the package is not the one
    the extractor serves (``out_dir`` is not the configured models directory)."""
    from smartinspect.documents import keyelements
    from smartinspect.documents.sroie import evaluate_sroie, load_samples

    if (out_dir / PACKAGE).resolve() != (settings.models_dir / PACKAGE).resolve():
        return None
    keyelements._load.cache_clear()
    engine = None

    def read(data: bytes, name: str) -> DocumentText:
        nonlocal engine
        from smartinspect.ocr.engine import OcrEngine
        from smartinspect.runtime import ModelRegistry

        if engine is None:
            engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)
        return engine.read_document(data, filename=name, settings=settings)

    keys = ("company", "date", "total")
    summary = evaluate_sroie(load_samples(dataset, "held-out"), read, cache=cache, keys=keys).summary(keys)
    return {"receipts": summary["receipts"],
            "fields": {k: {m: v[m] for m in ("accuracy", "correct", "n", "answered", "precision")}
                       for k, v in summary["fields"].items()}}


def _parity(onnx_bytes: bytes, boosters: dict[str, Any], xs: dict[str, np.ndarray]) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.astype(np.float32) for k, v in xs.items()})
    diffs = [float(np.max(np.abs(g.reshape(-1) - boosters[k].predict(xs[k])))) for g, k in zip(got, xs, strict=True)]
    return round(max(diffs), 6)


__all__ = ["TASK", "train"]
