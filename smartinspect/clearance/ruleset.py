"""Rule sets: YAML in, a validated and compiled :class:`RuleSet` out, or errors that point to the line.

A rule set is parameters, not code (see ``rules/default.yaml`` and docs/clearance.md)::

    schema: 1
    name: default
    seed: "2026-11"                  # random selection draws are reproducible per declaration number
    lists: {watch_hs: ["9301", "2402"]}
    rules:
      - id: xray-inspect
        description: The X-ray scan shows contraband
        when: finding.xray.verdict == INSPECT
        channel: red
        instructions: [{kind: physical_inspection, priority: 1, focus: finding}]
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from smartinspect.clearance.expr import ExprError, Predicate, compile_condition
from smartinspect.domain.clearance import Channel, InstructionKind

SCHEMA_VERSION = 1
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
_LIST_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_KEYS = {"schema", "name", "description", "seed", "lists", "rules"}
_RULE_KEYS = {"id", "description", "when", "channel", "instructions", "enabled"}
_INSTRUCTION_KEYS = {"kind", "priority", "focus"}
FOCUS_FROM_FINDING = "finding"


@dataclass(frozen=True)
class RuleError:
    """One problem: where (1-based line and column, and the path in the document) and what."""

    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "") if self.line else "rule set"
        return f"{where} ({self.path}): {self.message}" if self.path else f"{where}: {self.message}"


class RuleSetInvalid(ValueError):
    """The rule set was refused. ``errors`` lists every problem found; the message names the first."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"invalid rule set: {errors[0]}{more}")


@dataclass(frozen=True)
class InstructionSpec:
    kind: InstructionKind
    priority: int
    focus: str | None  # "finding" (the finding's boxes / sample), free text, or None


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    when: str
    channel: Channel
    instructions: tuple[InstructionSpec, ...]
    predicate: Predicate
    fields: tuple[str, ...]
    scope: str | None  # finding source the rule iterates over; None: once per declaration
    line: int | None

    @property
    def uses_random(self) -> bool:
        return "random" in self.fields


@dataclass(frozen=True)
class RuleSet:
    name: str
    description: str
    seed: str
    lists: dict[str, tuple[Any, ...]]
    rules: tuple[Rule, ...]
    sha256: str
    source: str
    declaration_fields: tuple[str, ...] = field(default=())  # declaration-level fields any rule reads


def default_rules_text() -> str:
    """The packaged default rule set (``smartinspect/clearance/rules/default.yaml``)."""
    return resources.files("smartinspect.clearance").joinpath("rules/default.yaml").read_text(encoding="utf-8")


def rules_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_rule_set(text: str) -> RuleSet:
    """Parse, validate and compile; :class:`RuleSetInvalid` lists every problem with its line."""
    _Locator.check_size(text)
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise RuleSetInvalid([RuleError(line, column, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise RuleSetInvalid([RuleError(None, None, "", f"not valid YAML: {exc}")]) from None
    locator = _Locator(node)
    builder = _Builder(locator)
    rule_set = builder.build(data, text)
    errors = locator.errors + builder.errors
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.column or 0))
        raise RuleSetInvalid(errors)
    assert rule_set is not None
    return rule_set


class _Locator:
    """Maps document paths (``rules[3].when``) to YAML marks; reports duplicate keys, which PyYAML drops silently."""

    MAX_BYTES = 1 << 20

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root
        self.errors: list[RuleError] = []
        if root is not None:
            self._check_duplicates(root, "")

    @classmethod
    def check_size(cls, text: str) -> None:
        if len(text.encode("utf-8")) > cls.MAX_BYTES:
            raise RuleSetInvalid([RuleError(None, None, "", f"the rule file is larger than {cls.MAX_BYTES} bytes")])

    def _check_duplicates(self, node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in node.value:
                if key.value in seen:
                    self.errors.append(RuleError(key.start_mark.line + 1, key.start_mark.column + 1, path,
                                                 f"key {key.value!r} appears twice"))
                seen.add(key.value)
                self._check_duplicates(value, f"{path}.{key.value}" if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._check_duplicates(item, f"{path}[{i}]")

    def node(self, *path: str | int) -> yaml.Node | None:
        """The node at ``path``, or the deepest one that exists (a missing key points to its parent)."""
        node = self.root
        for step in path:
            child = None
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                child = next((v for k, v in node.value if k.value == step), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                child = node.value[step]
            if child is None:
                return node
            node = child
        return node

    def mark(self, *path: str | int) -> tuple[int | None, int | None]:
        node = self.node(*path)
        return (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (None, None)

    def expression_mark(self, path: tuple[str | int, ...], offset: int) -> tuple[int | None, int | None]:
        """Line and column of character ``offset`` inside a scalar expression (plain, quoted or block style)."""
        node = self.node(*path)
        if not isinstance(node, yaml.ScalarNode):
            return self.mark(*path)
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if node.style in ("|", ">"):  # block scalar: the text starts on the next line
            before = node.value[:offset]
            return line + 1 + before.count("\n"), None
        return line, column + offset + (1 if node.style in ("'", '"') else 0)


class _Builder:
    def __init__(self, locator: _Locator) -> None:
        self.loc = locator
        self.errors: list[RuleError] = []

    def error(self, path: tuple[str | int, ...], message: str,
              mark: tuple[int | None, int | None] | None = None) -> None:
        line, column = mark or self.loc.mark(*path)
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        self.errors.append(RuleError(line, column, text, message))

    def build(self, data: Any, text: str) -> RuleSet | None:
        if not isinstance(data, dict):
            self.error((), "the rule file must be a mapping with schema, name, lists and rules")
            return None
        for key in sorted(set(data) - _TOP_KEYS, key=str):
            self.error((key,), f"unknown key {key!r}; allowed: {', '.join(sorted(_TOP_KEYS))}")
        if data.get("schema") != SCHEMA_VERSION:
            self.error(("schema",), f"schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error(("name",), "name must be a non-empty string")
        lists = self.lists(data.get("lists", {}))
        rules = self.rules(data.get("rules"), lists)
        if self.errors or not isinstance(name, str):
            return None
        seed = str(data.get("seed", name))
        declaration_fields = tuple(dict.fromkeys(
            f for rule in rules for f in rule.fields if not f.startswith("finding.") and f != "random"))
        return RuleSet(name=name, description=str(data.get("description") or ""), seed=seed, lists=lists,
                       rules=tuple(rules), sha256=rules_sha256(text), source=text,
                       declaration_fields=declaration_fields)

    def lists(self, raw: Any) -> dict[str, tuple[Any, ...]]:
        if not isinstance(raw, dict):
            self.error(("lists",), "lists must map names to lists of values")
            return {}
        lists = {}
        for name, values in raw.items():
            if not isinstance(name, str) or not _LIST_NAME.match(name):
                self.error(("lists", str(name)), f"list name {name!r} must be letters, digits and _")
            elif not isinstance(values, list) or any(isinstance(v, dict | list) for v in values):
                self.error(("lists", name), f"list {name!r} must be a flat list of values")
            else:
                lists[name] = tuple(values)
        return lists

    def rules(self, raw: Any, lists: dict[str, tuple[Any, ...]]) -> list[Rule]:
        if not isinstance(raw, list) or not raw:
            self.error(("rules",), "rules must be a non-empty list")
            return []
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            rule = self.rule(i, item, lists)
            if rule is None:
                continue
            if rule.id in seen:
                self.error(("rules", i, "id"), f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
            rules.append(rule)
        return rules

    def rule(self, i: int, raw: Any, lists: dict[str, tuple[Any, ...]]) -> Rule | None:
        path: tuple[str | int, ...] = ("rules", i)
        if not isinstance(raw, dict):
            self.error(path, "each rule must be a mapping with id, description, when, channel")
            return None
        before = len(self.errors)
        for key in sorted(set(raw) - _RULE_KEYS, key=str):
            self.error((*path, key), f"unknown key {key!r}; allowed: {', '.join(sorted(_RULE_KEYS))}")
        rule_id, description, when = raw.get("id"), raw.get("description"), raw.get("when")
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            self.error((*path, "id"), f"id {rule_id!r} must be 1-64 of a-z 0-9 _ . - (lower case)")
        if not isinstance(description, str) or not description.strip():
            self.error((*path, "description"), "description is required: it becomes the instruction's reason")
        channel = self.enum(Channel, raw.get("channel"), (*path, "channel"))
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            self.error((*path, "enabled"), "enabled must be true or false")
        compiled = None
        if not isinstance(when, str):
            self.error((*path, "when"), "when is required: a condition such as finding.xray.verdict == INSPECT")
        else:
            try:
                compiled = compile_condition(when, lists)
            except ExprError as exc:
                self.error((*path, "when"), exc.message, self.loc.expression_mark((*path, "when"), exc.pos))
        specs = self.instructions(path, raw.get("instructions", []), compiled.scope if compiled else "unknown")
        if channel in (Channel.red, Channel.yellow) and not specs:
            self.error((*path, "channel"), f"a {channel.value} rule must issue instructions (what should be checked?)")
        if len(self.errors) > before or compiled is None or channel is None or enabled is False:
            return None
        return Rule(id=rule_id, description=description.strip(), when=when, channel=channel,  # type: ignore[arg-type]
                    instructions=specs, predicate=compiled.predicate, fields=compiled.fields, scope=compiled.scope,
                    line=self.loc.mark(*path)[0])

    def instructions(self, path: tuple[str | int, ...], raw: Any, scope: str | None) -> tuple[InstructionSpec, ...]:
        """The instruction specs; ``scope`` is the condition's finding source (None: declaration rule)."""
        where = (*path, "instructions")
        if not isinstance(raw, list):
            self.error(where, "instructions must be a list of {kind, priority, focus}")
            return ()
        specs = []
        for j, item in enumerate(raw):
            at = (*where, j)
            if not isinstance(item, dict):
                self.error(at, "each instruction must be a mapping with kind (and priority, focus)")
                continue
            for key in sorted(set(item) - _INSTRUCTION_KEYS, key=str):
                self.error((*at, key), f"unknown key {key!r}; allowed: {', '.join(sorted(_INSTRUCTION_KEYS))}")
            kind = self.enum(InstructionKind, item.get("kind"), (*at, "kind"))
            priority = item.get("priority", 3)
            if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
                self.error((*at, "priority"), f"priority must be 1 (most urgent) to 5, got {priority!r}")
            focus = item.get("focus")
            if focus is not None and not isinstance(focus, str):
                self.error((*at, "focus"), "focus must be 'finding' or a text for the officer")
            if focus == FOCUS_FROM_FINDING and scope is None:
                self.error((*at, "focus"), "focus: finding needs a condition on finding.* fields")
            if kind is not None:
                specs.append(InstructionSpec(kind, priority if isinstance(priority, int) else 3, focus))
        return tuple(specs)

    def enum(self, enum: Any, value: Any, path: tuple[str | int, ...]) -> Any:
        try:
            return enum(value)
        except ValueError:
            valid = ", ".join(member.value for member in enum)
            self.error(path, f"{value!r} is not one of {valid}")
            return None
