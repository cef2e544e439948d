"""Scoring key elements on a folder in the SROIE layout (``img/NNN.jpg`` + ``key/NNN.json``), through the served
path: the file's bytes go through ``OcrEngine.read_document`` (intake + OCR, what ``smartinspect ocr`` and
``POST /v1/documents`` run) and then ``extract_document``.

Fields are scored the way SROIE task 3 does, per field: a prediction is right when it equals the annotation after
whitespace normalisation; a date on the same calendar day and a total equal as a number also count (a customs
system normalises both). The split of a folder into a *tune* and a *held-out* part is fixed by a hash of each
file's name (``split_of``), so it needs no list and does not depend on the folder's order.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smartinspect.documents.extract import extract_document
from smartinspect.documents.normalise import clean_text, norm_name, parse_date_any, parse_number
from smartinspect.documents.types import DocumentExtraction
from smartinspect.ocr.types import DocumentText, OcrLine, PageText

# SROIE key -> the extraction's field that answers it.
FIELDS: dict[str, str] = {"company": "consignor_name", "date": "invoice_date", "total": "total_value",
                          "address": "consignor_address"}
SPLITS = ("tune", "held-out", "all")
_SPLIT_SALT = b"smartinspect/sroie-split/v1:"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".pdf")


def split_of(stem: str) -> str:
    """``tune`` or ``held-out``: the parity of the first byte of sha256(salt + file stem). Fixed before any
    tuning; about half of any folder goes to each part."""
    return "tune" if hashlib.sha256(_SPLIT_SALT + stem.encode()).digest()[0] % 2 == 0 else "held-out"


def is_sroie_layout(path: Path) -> bool:
    return (path / "img").is_dir() and (path / "key").is_dir()


@dataclass(frozen=True)
class Sample:
    stem: str
    image: Path
    key: dict[str, str]


def load_samples(dataset: Path, split: str = "all") -> list[Sample]:
    """Every ``img/<stem>.*`` with a ``key/<stem>.json``, in the chosen split, sorted by name."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    out = []
    for image in sorted(p for p in (dataset / "img").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
        key_path = dataset / "key" / f"{image.stem}.json"
        if not key_path.exists() or (split != "all" and split_of(image.stem) != split):
            continue
        out.append(Sample(image.stem, image, json.loads(key_path.read_text())))
    return out


# ---------------------------------------------------------------- matching


def _ws(text: Any) -> str:
    """Whitespace normalised (removed: the annotations and the print disagree on spaces, "MR.D.I.Y." vs
    "MR. D.I.Y.") and letter case folded (the annotations write names in capitals)."""
    return "".join(clean_text(str(text)).split()).upper()


def _collapsed(text: Any) -> str:
    """The stricter reading: runs of whitespace collapsed to one space (reported beside the main figure)."""
    return " ".join(clean_text(str(text)).split()).upper()


def key_date(text: str) -> str | None:
    """ISO date of an annotated date (the annotations print it as on the receipt: 25/12/2018, 12-01-19,
    25032018...): the shared normaliser's loose reading, day first."""
    return parse_date_any(text)


def field_matches(key: str, truth: str, predicted: str | None, normalised: Any, *, strict: bool = False) -> bool:
    """SROIE task 3: equal after whitespace (and letter-case) normalisation; a date on the same day or an equal
    amount also counts."""
    if predicted is None and normalised is None:
        return False
    same = _collapsed if strict else _ws
    if predicted is not None and same(predicted) == same(truth):
        return True
    if key == "date":
        want = key_date(truth)
        return want is not None and normalised == want
    if key == "total":
        want = parse_number(str(truth).replace("RM", "").replace("$", ""))
        try:
            return want is not None and normalised is not None and abs(float(normalised) - want) < 0.005
        except (TypeError, ValueError):
            return False
    return False


def predicted(extraction: DocumentExtraction, key: str) -> tuple[str | None, Any]:
    f = extraction.get(FIELDS[key])
    if f is None:
        return None, None
    return f.value, f.normalised


# ---------------------------------------------------------------- running


@dataclass
class SampleResult:
    stem: str
    split: str
    fields: dict[str, dict[str, Any]]  # key -> {truth, value, normalised, confidence, ok}
    ocr_seconds: float | None
    extract_seconds: float
    doc_type: str
    error: str | None = None


@dataclass
class SroieReport:
    results: list[SampleResult] = field(default_factory=list)

    def summary(self, keys: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {"receipts": len(self.results), "fields": {}}
        for key in keys:
            rows = [r.fields[key] for r in self.results if key in r.fields]
            right = sum(row["ok"] for row in rows)
            strict = sum(row.get("ok_strict", row["ok"]) for row in rows)
            near = sum(row.get("near", row["ok"]) for row in rows)
            answered = sum(row["value"] is not None or row["normalised"] is not None for row in rows)
            errors = Counter(row["error"] for row in rows if not row["ok"])
            out["fields"][key] = {"n": len(rows), "correct": right, "accuracy": round(right / max(1, len(rows)), 4),
                                  "accuracy_spaces_kept": round(strict / max(1, len(rows)), 4),
                                  "right_line_90": round(near / max(1, len(rows)), 4),
                                  "answered": answered,
                                  "precision": round(right / max(1, answered), 4),
                                  "errors": dict(errors.most_common())}
        ocr = [r.ocr_seconds for r in self.results if r.ocr_seconds is not None]
        cpu = [_CPU_SECONDS[r.stem] for r in self.results if r.ocr_seconds is not None and r.stem in _CPU_SECONDS]
        out["seconds_per_receipt"] = {
            "ocr": round(sum(ocr) / len(ocr), 3) if ocr else None, "ocr_measured_on": len(ocr),
            "ocr_cpu": round(sum(cpu) / len(cpu), 3) if cpu else None,
            "ocr_max": round(max(ocr), 3) if ocr else None,
            "extract": round(sum(r.extract_seconds for r in self.results) / max(1, len(self.results)), 4)}
        out["failed"] = [r.stem for r in self.results if r.error]
        return out


_CPU_SECONDS: dict[str, float] = {}


def read_cached(sample: Sample, read: Callable[[bytes, str], DocumentText], cache: Path | None
                ) -> tuple[DocumentText, float | None]:
    """The served OCR of one file (``read(bytes, filename)``), kept in ``cache`` as JSON when given."""
    cached = cache / f"{sample.stem}.json" if cache else None
    if cached is not None and cached.exists():
        return DocumentText.from_json(json.loads(cached.read_text())), None
    start, cpu = time.perf_counter(), time.process_time()
    text = read(sample.image.read_bytes(), sample.image.name)
    seconds = time.perf_counter() - start
    _CPU_SECONDS[sample.stem] = time.process_time() - cpu  # every thread of this process (the OCR workers too)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(text.to_json(), ensure_ascii=False))
    return text, seconds


def annotated_text(sample: Sample, data: bytes) -> DocumentText:
    """The folder's own transcription of the receipt (``box/<stem>.csv``: eight corner coordinates, then the
    line's text) as one upright page of the image ``data``, in the file's line order, each line at confidence 1.
    Scoring the extractor on it in place of the OCR (``smartinspect evaluate documents --ocr truth``) separates
    what the extractor gets wrong from what the recogniser misreads."""
    import io

    from PIL import Image

    from smartinspect.ocr.intake import MEDIA_TYPES, sniff_format

    path = sample.image.parent.parent / "box" / f"{sample.stem}.csv"
    if not path.exists():
        raise FileNotFoundError(f"no transcription {path} (--ocr truth needs the folder's box/)")
    lines = []
    for row in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = row.split(",", 8)
        if len(parts) < 9 or not parts[8].strip():
            continue
        xy = [float(v) for v in parts[:8]]
        lines.append(OcrLine(parts[8].strip(), 1.0, tuple((xy[i], xy[i + 1]) for i in range(0, 8, 2))))
    with Image.open(io.BytesIO(data)) as image:  # the header only: the page's size, no decoding
        width, height = image.size
    return DocumentText([PageText(0, width, height, "ocr", 0.0, lines)], MEDIA_TYPES[sniff_format(data)])


def _near(truth: str, value: str | None) -> bool:
    """Letters and digits within 90 % similarity: the right line was chosen, the OCR or the annotation's
    punctuation differs (reported beside the exact figure for names and addresses)."""
    from difflib import SequenceMatcher

    a, b = norm_name(value or ""), norm_name(truth)
    return bool(a) and SequenceMatcher(None, a, b).ratio() >= 0.9


def error_category(key: str, truth: str, value: str | None, normalised: Any, ok: bool) -> str | None:
    """A coarse name for what went wrong, for the error table in docs/documents.md."""
    if ok:
        return None
    if value is None and normalised is None:
        return "abstained"
    if key == "total":
        want = parse_number(str(truth).replace("RM", ""))
        try:
            got = float(normalised)
        except (TypeError, ValueError):
            return "other"
        if want is not None and got < want:
            return "smaller amount (subtotal, tax, item)"
        return "larger amount (cash, pre-discount)"
    if key == "date":
        return "unparsed annotation" if key_date(truth) is None else "another date"
    from difflib import SequenceMatcher

    ratio = SequenceMatcher(None, _ws(value or normalised), _ws(truth)).ratio()
    if ratio >= 0.8:
        return "near miss (OCR slip, punctuation, partial)"
    return "another line"


def score_sample(sample: Sample, extraction: DocumentExtraction, keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    out = {}
    for key in keys:
        if key not in sample.key:
            continue
        value, normalised = predicted(extraction, key)
        f = extraction.get(FIELDS[key])
        ok = field_matches(key, sample.key[key], value, normalised)
        out[key] = {"truth": sample.key[key], "value": value, "normalised": normalised,
                    "confidence": f.confidence if f else None, "ok": ok,
                    "ok_strict": field_matches(key, sample.key[key], value, normalised, strict=True),
                    "near": ok or _near(sample.key[key], value),
                    "error": error_category(key, sample.key[key], value, normalised, ok)}
    return out


def evaluate_sroie(samples: list[Sample], read: Callable[[bytes, str], DocumentText], *, cache: Path | None = None,
                   keys: tuple[str, ...] = ("company", "date", "total"), progress: bool = False,
                   extract: Callable[[DocumentText], DocumentExtraction] = extract_document) -> SroieReport:
    """OCR (or the cache) and extraction of every sample, each field scored against its annotation."""
    from tqdm import tqdm

    report = SroieReport()
    for sample in tqdm(samples, desc="evaluate receipts", unit="receipt", disable=not progress):
        try:
            text, ocr_s = read_cached(sample, read, cache)
        except Exception as exc:  # noqa: BLE001 - a rejected or broken file is a failed receipt, not a crash
            fields = {k: {"truth": sample.key[k], "value": None, "normalised": None, "confidence": None,
                          "ok": False, "ok_strict": False, "error": "unreadable"} for k in keys if k in sample.key}
            report.results.append(SampleResult(sample.stem, split_of(sample.stem), fields, None, 0.0, "unknown",
                                               f"{type(exc).__name__}: {exc}"))
            continue
        start = time.perf_counter()
        extraction = extract(text)
        seconds = time.perf_counter() - start
        report.results.append(SampleResult(sample.stem, split_of(sample.stem), score_sample(sample, extraction, keys),
                                           ocr_s, seconds, extraction.doc_type.value))
    return report


def run(dataset: Path, *, split: str = "held-out", keys: tuple[str, ...] = ("company", "date", "total"),
        cache: Path | None = None, limit: int | None = None, progress: bool = False,
        ocr: str = "engine") -> dict[str, Any]:
    """``smartinspect evaluate documents --dataset DIR`` on a SROIE-layout folder: the served OCR engine (as
    ``smartinspect ocr`` builds it from the settings) and the served extractor; summary + per-receipt rows.
    ``ocr="truth"``: the folder's own transcription (``annotated_text``) instead of the OCR, no cache."""
    samples = load_samples(dataset, split)[:limit]
    if ocr == "truth":
        by_name = {s.image.name: s for s in samples}

        def read(data: bytes, name: str) -> DocumentText:
            return annotated_text(by_name[name], data)

        cache = None  # nothing to keep: the transcription is read in microseconds
    else:
        from smartinspect.config import get_settings
        from smartinspect.ocr.engine import OcrEngine
        from smartinspect.runtime import ModelRegistry

        settings = get_settings()
        engine = OcrEngine.from_settings(ModelRegistry.from_settings(settings), settings)

        def read(data: bytes, name: str) -> DocumentText:
            return engine.read_document(data, filename=name, settings=settings)

    report = evaluate_sroie(samples, read, cache=cache, keys=keys, progress=progress)
    return {**report.summary(keys), "split": split, "ocr": ocr,
            "per_receipt": {r.stem: {"fields": r.fields, "doc_type": r.doc_type, "error": r.error}
                            for r in report.results}}
