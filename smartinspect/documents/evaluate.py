"""Accuracy of the document pipeline on a labelled synthetic set: the real OCR engine, then extraction,
validation and the cross-document check, scored against the generator's ground truth.

Figures: field-level precision/recall/F1 (overall, key fields, per field), planted inconsistencies found, and
false flags on clean consignments. Used by ``smartinspect evaluate documents``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from smartinspect.documents.crosscheck import cross_check
from smartinspect.documents.extract import extract_document
from smartinspect.documents.scoring import score_document, summarise_counts
from smartinspect.documents.types import Discrepancy, DocumentExtraction, Validation
from smartinspect.documents.validate import validate_extraction
from smartinspect.ocr.types import DocumentText, OcrLine, PageText

# Planted kind -> the flags that count as finding it: discrepancy fields, or failed validation codes.
DETECTED_BY: dict[str, tuple[set[str], set[str]]] = {
    "weight_mismatch": ({"gross_weight"}, set()),
    "invalid_container": ({"container_numbers"}, {"iso6346"}),
    "consignee_mismatch": ({"consignee"}, set()),
    "hs_mismatch": ({"hs_codes"}, set()),
    "value_mismatch": ({"total_value"}, set()),
    "net_over_gross": ({"net_weight"}, {"net_le_gross"}),
}
CHECKS_PER_CONSIGNMENT = 7  # containers, gross, net, packages, value/currency, consignee, HS codes


@dataclass
class DocEval:
    truth: dict[str, Any]
    extraction: DocumentExtraction
    ocr_seconds: float | None  # None: the page came from the OCR cache
    extract_seconds: float


@dataclass
class ConsignmentEval:
    consignment_id: str
    planted: dict[str, Any] | None
    discrepancies: list[Discrepancy]
    failed: list[Validation]

    @property
    def flags(self) -> list[str]:
        return [d.field for d in self.discrepancies] + [f"{v.field}:{v.code}" for v in self.failed]

    def detected(self) -> bool:
        if self.planted is None:
            return False
        fields, codes = DETECTED_BY[self.planted["kind"]]
        return any(d.field in fields for d in self.discrepancies) or any(v.code in codes for v in self.failed)


def truth_as_ocr(truth: dict[str, Any]) -> DocumentText:
    """The ground-truth lines as if an OCR engine had read them perfectly (for tests and debugging)."""
    lines = [OcrLine(t["text"], 1.0, tuple((float(x), float(y)) for x, y in t["polygon"])) for t in truth["text_lines"]]
    return DocumentText([PageText(0, truth["width"], truth["height"], "ocr", 0.0, lines)], "image/png")


def read_cached_page(truth: dict[str, Any], dataset_dir: Path, read_page: Callable, cache: Path | None) -> PageText:
    cached = cache / f"{truth['doc_id']}.json" if cache else None
    if cached and cached.exists():
        return PageText.from_json(json.loads(cached.read_text()))
    image = cv2.imread(str(Path(dataset_dir) / truth["image"]), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read {Path(dataset_dir) / truth['image']}")
    page = read_page(image)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(page.to_json(), ensure_ascii=False))
    return page


def run_documents(truths: list[dict[str, Any]], dataset_dir: Path, read_page: Callable | None, *,
                  cache: Path | None = None, progress: bool = False) -> list[DocEval]:
    """OCR (``read_page(image_bgr) -> PageText``; None: the ground-truth lines) and extract every document.

    ``cache``: a folder keeping each page's OCR result, so extraction can be re-scored without re-reading.
    """
    from tqdm import tqdm

    out = []
    for truth in tqdm(truths, desc="evaluate documents", unit="doc", disable=not progress):
        start = time.perf_counter()
        cached = read_page is not None and cache is not None and (cache / f"{truth['doc_id']}.json").exists()
        if read_page is None:
            text = truth_as_ocr(truth)
        else:
            text = DocumentText([read_cached_page(truth, dataset_dir, read_page, cache)], "image/png")
        ocr_s = None if cached else time.perf_counter() - start
        start = time.perf_counter()
        extraction = extract_document(text)
        out.append(DocEval(truth, extraction, ocr_s, time.perf_counter() - start))
    return out


def verify_consignments(evals: list[DocEval]) -> list[ConsignmentEval]:
    """Validation and cross-check per consignment, documents keyed by their (true) type."""
    groups: dict[str, list[DocEval]] = defaultdict(list)
    for ev in evals:
        groups[ev.truth["consignment_id"]].append(ev)
    out = []
    for cid, docs in sorted(groups.items()):
        extractions = {ev.truth["doc_type"]: ev.extraction for ev in docs}
        failed = [v for ex in extractions.values() for v in validate_extraction(ex) if not v.ok]
        planted = next((ev.truth["planted"] for ev in docs if ev.truth.get("planted")), None)
        out.append(ConsignmentEval(cid, planted, cross_check(extractions), failed))
    return out


def summarise(evals: list[DocEval], consignments: list[ConsignmentEval]) -> dict[str, Any]:
    fields = summarise_counts([score_document(ev.extraction, ev.truth) for ev in evals])
    planted = [c for c in consignments if c.planted]
    clean = [c for c in consignments if not c.planted]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for c in planted:
        by_kind[c.planted["kind"]].append(c.detected())
    # False discrepancies: cross-check output on clean consignments (the headline); failed validations on clean
    # consignments are reported beside it (an OCR slip in one amount fails qty x price without any discrepancy).
    flagged_clean = [c for c in clean if c.discrepancies]
    n_flags = sum(len(c.discrepancies) for c in clean)
    invalid_clean = [c for c in clean if c.failed]
    type_ok = [ev.extraction.doc_type.value == ev.truth["doc_type"] for ev in evals]
    return {
        "documents": len(evals), "consignments": len(consignments),
        "fields": fields,
        "doc_type_accuracy": round(sum(type_ok) / max(1, len(type_ok)), 4),
        "discrepancies": {
            "planted": len(planted), "found": sum(c.detected() for c in planted),
            "detection_rate": round(sum(c.detected() for c in planted) / max(1, len(planted)), 4),
            "per_kind": {k: {"planted": len(v), "found": sum(v)} for k, v in sorted(by_kind.items())},
            "clean_consignments": len(clean), "clean_flagged": len(flagged_clean),
            "false_rate_consignments": round(len(flagged_clean) / max(1, len(clean)), 4),
            "false_rate_checks": round(n_flags / max(1, len(clean) * CHECKS_PER_CONSIGNMENT), 4),
            "clean_with_failed_validation": len(invalid_clean),
            "false_rate_any_flag": round(len([c for c in clean if c.flags]) / max(1, len(clean)), 4),
            "false_flags": {c.consignment_id: c.flags for c in clean if c.flags},
            "missed": {c.consignment_id: c.planted["kind"] for c in planted if not c.detected()},
        },
        "seconds_per_page": {"ocr": _mean([e.ocr_seconds for e in evals if e.ocr_seconds is not None], 3),
                             "extract": _mean([e.extract_seconds for e in evals], 4)},
    }


def _mean(values: list[float], digits: int) -> float | None:
    return round(sum(values) / len(values), digits) if values else None  # None: every page came from the cache


def write_report(result: dict[str, Any], *, json_path: Path, doc_path: Path | None) -> None:
    """docs/eval-documents.json, and the figures block of docs/documents.md (between the eval markers)."""
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if doc_path is not None:
        replace_block(doc_path, "eval", render_figures(result))


def replace_block(doc_path: Path, name: str, block: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in a doc page."""
    if not doc_path.exists():
        return
    text = doc_path.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    doc_path.write_text(f"{head}{start}\n{block}\n{end}{rest.split(end, 1)[1]}")


def render_figures(r: dict[str, Any]) -> str:
    f, d = r["fields"], r["discrepancies"]
    key = ("container_numbers", "bl_no", "hs_codes")
    rows = [(f"| overall (micro) | {f['overall']['precision']:.3f} | {f['overall']['recall']:.3f} | "
             f"**{f['overall']['f1']:.3f}** | 0.95 |")]
    rows += [(f"| {k} | {f['per_field'][k]['precision']:.3f} | {f['per_field'][k]['recall']:.3f} | "
              f"**{f['per_field'][k]['f1']:.3f}** | 0.98 |") for k in key if k in f["per_field"]]
    rows += [f"| {k} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1']:.3f} | |"
             for k, v in f["per_field"].items() if k not in key]
    meta = r.get("meta", {})
    return "\n".join([
        (f"Held-out set: `{meta.get('dataset', '?')}` ({r['consignments']} consignments, {r['documents']} documents; "
         f"seed {meta.get('seed', '?')}, layouts {meta.get('layouts', '?')}), OCR: {meta.get('ocr', '?')}, "
         f"command: `{meta.get('command', '?')}`."), "",
        "| field | precision | recall | F1 | target |", "|---|---|---|---|---|", *rows, "",
        f"- Document type accuracy (no type hint): {r['doc_type_accuracy']:.3f}",
        f"- Planted inconsistencies found: **{d['found']}/{d['planted']} = {d['detection_rate']:.3f}** (target >= 0.95)",
        (f"- False discrepancies on clean consignments: {d['clean_flagged']}/{d['clean_consignments']} consignments = "
         f"**{d['false_rate_consignments']:.3f}**; per check {d['false_rate_checks']:.4f} (target <= 0.02)"),
        (f"- Clean consignments with a failed validation (OCR slips in amounts, sums): "
         f"{d['clean_with_failed_validation']}/{d['clean_consignments']}; with any flag at all "
         f"{d['false_rate_any_flag']:.3f}"),
        (f"- Seconds per page (2-core CPU shared with other jobs): OCR "
         f"{r['seconds_per_page']['ocr'] or r.get('meta', {}).get('ocr_seconds_per_page', 'cached')}, extraction "
         f"{r['seconds_per_page']['extract']}"),
    ])
