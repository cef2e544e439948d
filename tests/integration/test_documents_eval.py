"""Two generated consignments read by the real OCR engine (PP-OCRv6 on our ONNX runtime), then extraction,
validation and the cross-check: key fields come out right and the clean consignment raises no flag."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from smartinspect.config import REPO_ROOT
from smartinspect.documents.datagen.generate import DocGenConfig, generate_consignment
from smartinspect.documents.evaluate import DocEval, summarise, verify_consignments
from smartinspect.documents.extract import extract_document
from smartinspect.ocr.types import DocumentText

MODELS_DIR = Path(os.environ.get("SMARTINSPECT_TEST_MODELS_DIR", REPO_ROOT / "models"))
OCR_MODELS = ("ocr-det", "ocr-cls", "ocr-rec")


@pytest.fixture(scope="module")
def engine():
    if not all((MODELS_DIR / name / "manifest.json").is_file() for name in OCR_MODELS):
        pytest.skip(f"OCR models not shipped in {MODELS_DIR}")
    from smartinspect.ocr.engine import OcrEngine
    from smartinspect.runtime import ModelRegistry

    registry = ModelRegistry.from_directory(MODELS_DIR, warm_up=False)
    return OcrEngine.from_registry(registry)


def test_real_ocr_reads_key_fields(engine):
    config = DocGenConfig(plant_fraction=0.0, degradation_mix=(0.5, 0.5, 0.0), strength=(0.1, 0.3))
    evals = []
    for seed in (21, 22):
        _, _, docs = generate_consignment(np.random.default_rng(seed), f"it{seed}", config)
        for doc in docs:
            extraction = extract_document(DocumentText([engine.read_image(doc.image)], "image/png"))
            evals.append(DocEval(doc.truth, extraction, 0.0, 0.0))
    for ev in evals:
        want, ex = ev.truth["fields"], ev.extraction
        assert ex.doc_type.value == ev.truth["doc_type"]
        assert sorted(ex.values("container_numbers")) == sorted(want.get("container_numbers", []))
        for name in ("bl_no", "declaration_no", "invoice_no", "gross_weight"):
            if name in want:
                assert ex.value(name) == want[name], f"{name} on {ev.truth['doc_id']}"
    result = summarise(evals, verify_consignments(evals))
    assert result["fields"]["overall"]["f1"] >= 0.9
    assert result["discrepancies"]["clean_flagged"] == 0, result["discrepancies"]["false_flags"]
