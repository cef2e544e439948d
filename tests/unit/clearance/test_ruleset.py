"""Rule files: the default loads; every problem is reported with its line; nothing half-valid is accepted."""

from __future__ import annotations

import pytest

from smartinspect.clearance.ruleset import RuleSetInvalid, default_rules_text, load_rule_set

MINIMAL = """\
schema: 1
name: test
lists:
  hs: ["9301"]
rules:
  - id: r1
    description: guns
    when: declaration.items.hs_code prefix @hs
    channel: red
    instructions:
      - {kind: physical_inspection, priority: 1}
"""


def errors_of(text: str) -> list:
    with pytest.raises(RuleSetInvalid) as info:
        load_rule_set(text)
    return info.value.errors


def test_default_rules_load():
    rule_set = load_rule_set(default_rules_text())
    ids = [r.id for r in rule_set.rules]
    assert {"xray-inspect", "xray-review", "wood-cites-listed", "wood-abstained", "document-high-discrepancy",
            "watch-company", "sensitive-goods", "watch-country", "random-physical-inspection",
            "random-post-clearance-audit"} <= set(ids)
    assert len(rule_set.sha256) == 64 and rule_set.seed == "smartinspect-default-1"


def test_minimal_rule_set():
    rule_set = load_rule_set(MINIMAL)
    (rule,) = rule_set.rules
    assert (rule.id, rule.channel.value, rule.scope, rule.line) == ("r1", "red", None, 6)
    assert rule_set.declaration_fields == ("declaration.items.hs_code",)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("prefix @hs", "prefix @hz", 8, "unknown list @hz"),
        ("channel: red", "channel: crimson", 9, "'crimson' is not one of"),
        ("kind: physical_inspection", "kind: x_ray_again", 11, "'x_ray_again' is not one of"),
        ("priority: 1", "priority: 9", 11, "priority must be 1"),
        ("id: r1", "id: R 1", 6, "id 'R 1' must be"),
        ("schema: 1", "schema: 2", 1, "schema must be 1"),
        ("    description: guns\n", "", 6, "description is required"),
        ("name: test", "name: test\nname: again", 3, "appears twice"),
        ("    instructions:\n      - {kind: physical_inspection, priority: 1}\n", "", 9, "must issue instructions"),
        ("lists:", "colour: blue\nlists:", 3, "unknown key 'colour'"),
        ("rules:", "rules: [", 6, "not valid YAML"),
    ],
)
def test_problems_point_to_their_line(old, new, line, message):
    errors = errors_of(MINIMAL.replace(old, new))
    assert any(e.line == line and message in e.message for e in errors), [str(e) for e in errors]


def test_expression_errors_point_to_the_column():
    (error,) = errors_of(MINIMAL.replace("prefix @hs", "prefx @hs"))
    assert (error.line, error.column) == (8, 37) and "join conditions" in error.message
    assert str(error).startswith("line 8, column 37 (rules[0].when)")


def test_all_problems_are_listed():
    errors = errors_of(MINIMAL.replace("channel: red", "channel: pink").replace("priority: 1", "priority: 0"))
    assert len(errors) == 2


def test_duplicate_rule_ids_are_refused():
    text = MINIMAL + MINIMAL[MINIMAL.index("  - id: r1"):]
    assert any("used twice" in e.message for e in errors_of(text))


def test_disabled_rules_are_skipped():
    text = MINIMAL.replace("    channel: red\n", "    channel: red\n    enabled: false\n")
    with pytest.raises(RuleSetInvalid, match="non-empty"):  # nothing left to run is not a rule set
        load_rule_set(text.replace("rules:", "rules: []\nold:"))
    assert load_rule_set(text + MINIMAL[MINIMAL.index("  - id: r1"):].replace("r1", "r2")).rules[0].id == "r2"
