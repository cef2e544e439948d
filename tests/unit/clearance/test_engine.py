"""The default rules applied by the engine: channels, instructions, reasons, focus, random selection."""

from __future__ import annotations

import copy

import pytest

from smartinspect.clearance.declarations import DeclarationCreate
from smartinspect.clearance.engine import assess, random_draw
from smartinspect.clearance.fields import DeclarationView, FindingView
from smartinspect.clearance.intake import declaration_record
from smartinspect.clearance.ruleset import default_rules_text, load_rule_set
from smartinspect.clearance.synthetic import example_declaration, xray_payload
from smartinspect.storage.types import utcnow

RULES = load_rule_set(default_rules_text())
VALID = example_declaration()
CLEAN_NUMBER = "224820261000000001"  # its random draws select it for neither random rule (checked below)
WOOD = {"top_k": [{"taxon": "Dalbergia nigra", "probability": 0.81}, {"taxon": "Dalbergia", "probability": 0.1}],
        "cites_appendix": None, "abstained": False, "recommendation": "clear",
        "declared_species": "Dalbergia nigra", "declared_match": True}


def view(findings: list[FindingView] = (), **changes) -> DeclarationView:
    data = copy.deepcopy(VALID)
    data.update(changes)
    record = declaration_record(DeclarationCreate.model_validate(data), actor="test", now=utcnow())
    grouped: dict[str, list[FindingView]] = {}
    for finding in findings:
        grouped.setdefault(finding.source, []).append(finding)
    return DeclarationView(record.view, grouped)


def run(findings: list[FindingView] = (), **changes):
    return assess(RULES, view(findings, **changes), version=7)


def kinds(assessment) -> list[tuple[str, str | None]]:
    return [(p.kind.value, p.source_id) for p in assessment.instructions]


def test_clean_declaration_is_green_with_nothing_to_do():
    assert random_draw(RULES.seed, "random-physical-inspection", CLEAN_NUMBER) >= 0.01
    assert random_draw(RULES.seed, "random-post-clearance-audit", CLEAN_NUMBER) >= 0.03
    result = run()
    assert (result.channel.value, result.hits, result.instructions) == ("green", (), ())


def test_xray_inspect_sends_red_with_physical_inspection_focused_on_the_boxes():
    finding = FindingView("xray", "scan-1", "INSPECT", xray_payload("INSPECT", class_name="firearm", score=0.97),
                          container_no="CSQU3054383")
    result = run([finding])
    assert result.channel.value == "red"
    (planned,) = result.instructions
    assert (planned.kind.value, planned.priority, planned.source, planned.source_id) == (
        "physical_inspection", 1, "xray", "scan-1")
    assert planned.focus["container_no"] == "CSQU3054383"
    assert planned.focus["areas"][0]["class_name"] == "firearm" and planned.focus["areas"][0]["box"]
    (reason,) = planned.reasons
    assert reason["rule_id"] == "xray-inspect" and reason["rule_set_version"] == 7
    assert reason["evidence"] == {"finding.xray.verdict": "INSPECT"}


def test_two_scans_give_two_instructions_each_pointing_at_its_scan():
    findings = [FindingView("xray", "a", "REVIEW", xray_payload("REVIEW")),
                FindingView("xray", "b", "INSPECT", xray_payload("INSPECT")),
                FindingView("xray", "c", "CLEAR", xray_payload("CLEAR"))]
    result = run(findings)
    assert result.channel.value == "red"
    assert sorted(kinds(result)) == [("image_review", "a"), ("physical_inspection", "b")]


@pytest.mark.parametrize(
    ("change", "channel", "expected"),
    [
        ({"cites_appendix": "I"}, "red", [("hold", "w"), ("sampling", "w")]),
        ({"cites_appendix": "II"}, "red", [("sampling", "w")]),
        ({"abstained": True, "recommendation": "expert_review"}, "yellow", [("image_review", "w")]),
        ({"declared_match": False}, "red", [("sampling", "w")]),
        ({}, "green", []),
    ],
)
def test_wood_findings(change, channel, expected):
    result = run([FindingView("wood", "w", "x", {**WOOD, **change})])
    assert result.channel.value == channel
    assert sorted(kinds(result)) == expected


def test_a_cites_listed_prediction_is_never_cleared_even_by_a_rule_set_without_wood_rules():
    rules = load_rule_set("schema: 1\nname: lax\nrules:\n  - {id: nothing, description: d, when: random < 0, "
                          "channel: blue}\n")
    result = assess(rules, view([FindingView("wood", "w", "x", {**WOOD, "cites_appendix": "II"})]), version=1)
    assert result.channel.value == "red"
    assert kinds(result) == [("sampling", "w")]
    assert result.instructions[0].reasons[0]["rule_id"] == "builtin.cites-floor"


def test_document_discrepancies():
    payload = {"doc_type": "invoice", "discrepancies": [
        {"field": "gross_kg", "severity": "high", "message": "invoice says 310 kg", "documents": ["invoice"]},
        {"field": "consignee", "severity": "low", "message": "spelling", "documents": ["bl"]}],
        "validation_errors": []}
    result = run([FindingView("document", "d1", "DISCREPANCY", payload)])
    assert (result.channel.value, kinds(result)) == ("yellow", [("document_check", "d1")])
    assert result.instructions[0].focus["discrepancies"][0]["field"] == "gross_kg"
    low = {**payload, "discrepancies": payload["discrepancies"][1:]}
    assert run([FindingView("document", "d1", "OK", low)]).channel.value == "green"


@pytest.mark.parametrize(
    ("changes", "channel", "kind"),
    [
        ({"consignee": {"name": "Watched", "code": "913100009052805454"}}, "red", "physical_inspection"),
        ({"items": [{**VALID["items"][0], "hs_code": "2402200000"}]}, "yellow", "document_check"),
        ({"trade_country": "KP"}, "yellow", "document_check"),
        ({"items": [{**VALID["items"][0], "hs_code": "4407290000"}]}, "yellow", "document_check"),
    ],
)
def test_watch_lists(changes, channel, kind):
    result = run(**changes)
    assert result.channel.value == channel
    assert [p.kind.value for p in result.instructions] == [kind]
    assert result.instructions[0].focus["notes"]


def test_timber_with_a_cites_permit_is_not_flagged():
    items = [{**VALID["items"][0], "hs_code": "4407290000"}]
    assert run(items=items, documents=[{"type": "cites_permit", "number": "CN-2026-001"}]).channel.value == "green"


def test_rules_asking_for_the_same_control_merge_into_one_instruction():
    result = run(consignee={"name": "Watched", "code": "913100009052805454"}, trade_country="KP",
                 items=[{**VALID["items"][0], "hs_code": "9302000000"}])
    assert result.channel.value == "red"
    by_kind = {p.kind.value: p for p in result.instructions}
    assert set(by_kind) == {"physical_inspection", "document_check"}
    assert {r["rule_id"] for r in by_kind["document_check"].reasons} == {"sensitive-goods", "watch-country"}
    assert by_kind["document_check"].priority == 2


def test_random_selection_is_reproducible_and_near_its_rate():
    numbers = [f"2248202610{i:08d}" for i in range(20_000)]
    draws = [random_draw(RULES.seed, "random-physical-inspection", n) for n in numbers]
    assert draws == [random_draw(RULES.seed, "random-physical-inspection", n) for n in numbers]
    share = sum(d < 0.01 for d in draws) / len(draws)
    assert 0.0075 < share < 0.0125  # 1 % +- 3.5 sigma
    blue = [n for n in numbers[:3000] if random_draw(RULES.seed, "random-physical-inspection", n) >= 0.01
            and random_draw(RULES.seed, "random-post-clearance-audit", n) < 0.03]
    result = run(number=blue[0])
    assert result.channel.value == "blue" and result.post_clearance_audit and not result.instructions
