"""The condition language: semantics over single and list fields, typing, and errors that point to the spot."""

from __future__ import annotations

import pytest

from smartinspect.clearance.expr import ExprError, compile_condition

LISTS = {"watch": ["913100009052805454"], "hs": ["9301", "2402"], "bad": [106]}


def run(text: str, decl: dict | None = None, finding: dict | None = None, draw: float = 0.5) -> bool:
    return compile_condition(text, LISTS).predicate(decl or {}, finding or {}, draw)


@pytest.mark.parametrize(
    ("text", "decl", "finding", "expected"),
    [
        ("finding.xray.verdict == INSPECT", {}, {"finding.xray.verdict": "INSPECT"}, True),
        ("finding.xray.verdict == INSPECT", {}, {"finding.xray.verdict": "REVIEW"}, False),
        ("finding.xray.verdict >= REVIEW", {}, {"finding.xray.verdict": "INSPECT"}, True),
        ("finding.xray.verdict >= REVIEW", {}, {"finding.xray.verdict": "CLEAR"}, False),
        ("finding.document.max_severity >= high", {}, {"finding.document.max_severity": "medium"}, False),
        ("finding.wood.cites_appendix in [I, II]", {}, {"finding.wood.cites_appendix": "II"}, True),
        ("finding.wood.cites_appendix in [I, II]", {}, {"finding.wood.cites_appendix": None}, False),
        ("finding.wood.cites_appendix == null", {}, {"finding.wood.cites_appendix": None}, True),
        ("finding.wood.abstained", {}, {"finding.wood.abstained": True}, True),
        ("not finding.wood.abstained", {}, {"finding.wood.abstained": False}, True),
        ("finding.wood.declared_match == false", {}, {"finding.wood.declared_match": None}, False),
        ("finding.xray.score.firearm > 0.9", {}, {"finding.xray.score.firearm": 0.95}, True),
        # list fields: a comparison holds when any element does; != and not in are their negations
        ("declaration.items.hs_code prefix @hs", {"declaration.items.hs_code": ["8471300000", "2402200000"]}, {},
         True),
        ("declaration.items.hs_code prefix @hs", {"declaration.items.hs_code": ["8471300000"]}, {}, False),
        ("declaration.items.origin != CN", {"declaration.items.origin": ["CN", "DE"]}, {}, False),
        ("declaration.items.origin not in [KP, IR]", {"declaration.items.origin": ["DE"]}, {}, True),
        ("declaration.items.hs_code prefix 0106", {"declaration.items.hs_code": ["0106190000"]}, {}, True),
        ("declaration.consignee.code in @watch", {"declaration.consignee.code": "913100009052805454"}, {}, True),
        ("declaration.total_value > 1e6", {"declaration.total_value": None}, {}, False),
        ("declaration.total_value > 1e6", {"declaration.total_value": 2_000_000.0}, {}, True),
        ("random < 0.3", {}, {}, False),
        ("(random < 0.6 or declaration.item_count > 3) and not declaration.direction == export",
         {"declaration.item_count": 1, "declaration.direction": "import"}, {}, True),
    ],
)
def test_semantics(text, decl, finding, expected):
    assert run(text, decl, finding) is expected


def test_fields_and_scope_are_reported():
    compiled = compile_condition("finding.wood.abstained or finding.wood.recommendation == expert_review", LISTS)
    assert compiled.scope == "wood"
    assert compiled.fields == ("finding.wood.abstained", "finding.wood.recommendation")
    assert compile_condition("random < 0.1", LISTS).scope is None


@pytest.mark.parametrize(
    ("text", "message", "pos"),
    [
        ("finding.xray.verdct == INSPECT", "did you mean finding.xray.verdict", 0),
        ("finding.xray.verdict == INSPEKT", "not a value of finding.xray.verdict", 24),
        ("declaration.total_value > high", "is a number", 26),
        ("finding.wood.abstained == 1", "true/false", 26),
        ("declaration.port < 2248", "only numbers and ordered fields", 0),
        ("declaration.items.hs_code prefix @nolist", "unknown list @nolist", 0),
        ("declaration.items.hs_code prefix @bad", "YAML reads 0106 as a number", 0),
        ("finding.xray.verdict == INSPECT and finding.wood.abstained", "one source", 0),
        ("finding.xray.verdict == INSPECT finding.wood.abstained", "join conditions", 32),
        ("finding.xray.verdict ==", "expected a value", 23),
        ("(random < 0.5", r"expected '\)'", 13),
        ("random < 0.5; import os", "unexpected character", 12),
        ("", "empty", 0),
        ("declaration.total_value.__class__", "unknown field", 0),
    ],
)
def test_errors_point_to_the_problem(text, message, pos):
    with pytest.raises(ExprError, match=message) as info:
        compile_condition(text, LISTS)
    assert info.value.pos == pos
