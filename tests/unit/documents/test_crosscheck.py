"""Cross-document verification: each planted inconsistency is found, clean consignments are not flagged.

Consignments come from the synthetic generator (clean pages, ground-truth lines as the OCR result), so the
test exercises generator, extraction, validation and cross-check together, in about a second per consignment.
"""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.documents.crosscheck import cross_check, declaration_to_extraction
from smartinspect.documents.datagen.generate import DocGenConfig, generate_consignment
from smartinspect.documents.datagen.plants import PLANT_KINDS
from smartinspect.documents.evaluate import ConsignmentEval, truth_as_ocr
from smartinspect.documents.extract import extract_document
from smartinspect.documents.types import DocType, Severity
from smartinspect.documents.validate import validate_extraction

CLEAN_PAGES = (1.0, 0.0, 0.0)


def check_consignment(seed: int, config: DocGenConfig) -> ConsignmentEval:
    _, planted, docs = generate_consignment(np.random.default_rng(seed), f"t{seed}", config)
    extractions = {d.doc_type: extract_document(truth_as_ocr(d.truth)) for d in docs}
    failed = [v for ex in extractions.values() for v in validate_extraction(ex) if not v.ok]
    return ConsignmentEval(f"t{seed}", planted.to_dict() if planted else None, cross_check(extractions), failed)


@pytest.mark.parametrize("kind", sorted(PLANT_KINDS))
def test_each_planted_kind_is_found(kind):
    config = DocGenConfig(plant_fraction=1.0, plant_kinds=(kind,), degradation_mix=CLEAN_PAGES)
    result = check_consignment(100 + sorted(PLANT_KINDS).index(kind), config)
    assert result.planted["kind"] == kind
    assert result.detected(), f"{kind} not flagged; flags: {result.flags}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_consignments_are_not_flagged(seed):
    result = check_consignment(seed, DocGenConfig(plant_fraction=0.0, degradation_mix=CLEAN_PAGES))
    assert result.flags == []


def _extraction(**values):
    from smartinspect.documents.types import DocumentExtraction, ExtractedField

    fields = [ExtractedField(k, str(v), v, 1.0, 0) for k, vs in values.items()
              for v in (vs if isinstance(vs, list) else [vs])]
    return DocumentExtraction(DocType.invoice, 1.0, "en", fields, [])


def test_weights_within_tolerance_agree_and_beyond_do_not():
    docs = {"packing_list": _extraction(gross_weight=1000.0), "bill_of_lading": _extraction(gross_weight=1004.0)}
    assert cross_check(docs) == []
    docs["bill_of_lading"] = _extraction(gross_weight=1100.0)
    [d] = cross_check(docs)
    assert d.field == "gross_weight" and d.severity == Severity.high and set(d.documents) == set(docs)


def test_values_compare_per_currency():
    docs = {"invoice": _extraction(total_value=100.0, currency="USD"),
            "declaration": _extraction(total_value=720.0, currency="CNY")}
    assert [d.field for d in cross_check(docs)] == ["currency"]


def test_consignee_compares_codes_across_scripts_and_names_within_one():
    zh = _extraction(consignee_name="上海华信进出口有限公司", consignee_uscc="91350100M000100Y43")
    en = _extraction(consignee_name="SHANGHAIHUAXINIMPORTEXPORTCOLTD", consignee_uscc="91350100M000100Y43")
    other = _extraction(consignee_name="SHANGHAIHUAXINIMPORTEXPORTCOLTD", consignee_uscc="913100008652300087")
    assert cross_check({"declaration": zh, "invoice": en}) == []
    [d] = cross_check({"declaration": zh, "invoice": en, "bill_of_lading": other})
    assert d.field == "consignee" and d.documents[0] == "bill_of_lading"
    no_code = _extraction(consignee_name="SHANGHAIHUAXINIMPORTEXPORTCOLTD")
    assert cross_check({"declaration": zh, "invoice": no_code}) == []  # different scripts, no code: not comparable


def test_hs_codes_compare_at_six_digits():
    docs = {"declaration": _extraction(hs_codes=["8471300000", "8517130000"]),
            "bill_of_lading": _extraction(hs_codes=["847130", "851713"])}
    assert cross_check(docs) == []
    docs["invoice"] = _extraction(hs_codes=["8471300000", "8517620000"])
    [d] = cross_check(docs)
    assert d.field == "hs_codes" and "invoice" in d.documents


def test_declaration_row_is_the_reference():
    from types import SimpleNamespace

    row = SimpleNamespace(
        number="224820251000000123", direction="import", consignee_name="上海华信进出口有限公司",
        consignee_code="91350100M000100Y43", bill_of_lading="COSU6312345670", vessel="COSCO PRIDE", voyage="045E",
        incoterm="CIF", currency="USD", package_count=20, gross_kg=1610.5, net_kg=1520.0, total_value=2400.0,
        containers=[SimpleNamespace(container_no="CSQU3054383")],
        items=[SimpleNamespace(hs_code="8481804090", description="球阀", quantity=800.0, unit="PCS", value=2400.0,
                               net_kg=1520.0, gross_kg=1610.5, currency="USD", origin="DE")])
    filed = declaration_to_extraction(row)
    assert filed.doc_type == DocType.declaration and filed.value("consignee_uscc") == "91350100M000100Y43"
    assert filed.items[0].get("hs_code") == "8481804090"
    bl = _extraction(container_numbers=["CSQU3054383"], gross_weight=1700.0, consignee_uscc="91350100M000100Y43")
    [d] = cross_check({"bill_of_lading": bl}, declaration=filed)
    assert d.field == "gross_weight" and d.documents == ["declaration", "bill_of_lading"]


def test_an_hs_code_missing_from_one_document_is_not_a_discrepancy():
    docs = {"declaration": _extraction(hs_codes=["8471300000", "8517130000"]),
            "invoice": _extraction(hs_codes=["8471300000", "8517130000"]),
            "bill_of_lading": _extraction(hs_codes=["847130"])}  # the B/L lists one code only
    assert cross_check(docs) == []
