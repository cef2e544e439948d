"""The rule condition language: a small, safe expression over named fields, compiled to Python closures.

    finding.xray.verdict == INSPECT
    finding.wood.cites_appendix in [I, II] or finding.wood.abstained
    declaration.items.hs_code prefix @sensitive_hs and not declaration.documents.type == cites_permit
    random < 0.02

Grammar (no eval, no attribute access, no calls)::

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | "(" expr ")" | test
    test    := FIELD [op value]              a bare FIELD tests truthiness
    op      := == | != | < | <= | > | >= | in | not in | prefix
    value   := literal | "[" literal ("," literal)* "]" | "@" LIST
    literal := NUMBER | 'string' | "string" | WORD | true | false | null

The left side is always a field (:mod:`smartinspect.clearance.fields`); the right side is always a literal, so a
typo in a field name is an error, never a silent string. Errors carry the character offset of the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from smartinspect.clearance.fields import FIELDS, FieldSpec

# A compiled condition: (declaration facts, finding facts, this rule's random draw) -> bool
Predicate = Callable[[Mapping[str, Any], Mapping[str, Any], float], bool]

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])
      | (?P<word>[A-Za-z0-9_][A-Za-z0-9_.\-]*)
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<ref>@[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>==|!=|<=|>=|<|>)
      | (?P<punct>[()\[\],])""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "prefix", "true", "false", "null"}
_ORDER_OPS = {"<", "<=", ">", ">="}


class ExprError(ValueError):
    """A condition that does not parse or type-check; ``pos`` is the character offset in the expression."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True)
class Token:
    kind: str  # num | word | str | ref | op | punct | kw | end
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExprError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            value = match.group()
            tokens.append(Token("kw" if kind == "word" and value in _KEYWORDS else kind, value, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


@dataclass(frozen=True)
class Literal:
    value: Any  # str, int, float, bool or None
    raw: str  # the text as written (numbers compared with string fields keep their digits: 0101)
    kind: str  # num | str | bool | null
    pos: int


@dataclass(frozen=True)
class Test:
    field: str
    op: str | None
    value: Literal | list[Literal] | str | None  # str: an @list name
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or | not
    parts: tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        if self.tok.text != text:
            raise ExprError(f"expected {text!r}, found {self.tok.text or 'the end'!r}", self.tok.pos)
        return self.take()

    def parse(self) -> Any:
        if self.tok.kind == "end":
            raise ExprError("the condition is empty", 0)
        node = self.expr()
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {self.tok.text!r}; join conditions with 'and' / 'or'", self.tok.pos)
        return node

    def expr(self) -> Any:
        parts = [self.conjunction()]
        while self.tok.text == "or" and self.tok.kind == "kw":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else BoolOp("or", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.unary()]
        while self.tok.text == "and" and self.tok.kind == "kw":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))

    def unary(self) -> Any:
        if self.tok.kind == "kw" and self.tok.text == "not":
            self.take()
            return BoolOp("not", (self.unary(),))
        if self.tok.text == "(":
            self.take()
            node = self.expr()
            self.expect(")")
            return node
        return self.test()

    def test(self) -> Test:
        token = self.take()
        if token.kind != "word":
            raise ExprError(f"expected a field name, found {token.text or 'the end'!r}", token.pos)
        op = self.operator()
        if op is None:
            return Test(token.text, None, None, token.pos)
        return Test(token.text, op, self.value(), token.pos)

    def operator(self) -> str | None:
        token = self.tok
        if token.kind == "op" or (token.kind == "kw" and token.text in ("in", "prefix")):
            return self.take().text
        if token.kind == "kw" and token.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            return "not in"
        return None

    def value(self) -> Literal | list[Literal] | str:
        if self.tok.kind == "ref":
            return self.take().text[1:]
        if self.tok.text == "[":
            self.take()
            items = [self.literal()]
            while self.tok.text == ",":
                self.take()
                items.append(self.literal())
            self.expect("]")
            return items
        return self.literal()

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "num":
            number = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
            return Literal(number, token.text, "num", token.pos)
        if token.kind == "str":
            return Literal(token.text[1:-1], token.text[1:-1], "str", token.pos)
        if token.kind == "word":
            return Literal(token.text, token.text, "str", token.pos)
        if token.kind == "kw" and token.text in ("true", "false"):
            return Literal(token.text == "true", token.text, "bool", token.pos)
        if token.kind == "kw" and token.text == "null":
            return Literal(None, token.text, "null", token.pos)
        raise ExprError(f"expected a value, found {token.text or 'the end'!r}", token.pos)


def parse(text: str) -> Any:
    """The syntax tree of a condition, or :class:`ExprError`."""
    return _Parser(text).parse()


@dataclass(frozen=True)
class Compiled:
    predicate: Predicate
    fields: tuple[str, ...]  # every field the condition reads, in order of appearance
    scope: str | None  # the finding source it iterates over, or None


def compile_condition(text: str, lists: Mapping[str, Sequence[Any]]) -> Compiled:
    """Parse, type-check against :data:`FIELDS` and ``lists``, and compile to a closure."""
    used: list[str] = []
    predicate = _compile(parse(text), lists, used)
    scopes = sorted({s for s in (FIELDS[f].scope for f in used) if s})
    if len(scopes) > 1:
        raise ExprError(f"a rule may address findings of one source; this one uses {', '.join(scopes)}", 0)
    return Compiled(predicate, tuple(dict.fromkeys(used)), scopes[0] if scopes else None)


def _compile(node: Any, lists: Mapping[str, Sequence[Any]], used: list[str]) -> Predicate:
    if isinstance(node, BoolOp):
        parts = [_compile(p, lists, used) for p in node.parts]
        if node.op == "not":
            inner = parts[0]
            return lambda d, f, r: not inner(d, f, r)
        if node.op == "and":
            return lambda d, f, r: all(p(d, f, r) for p in parts)
        return lambda d, f, r: any(p(d, f, r) for p in parts)
    return _compile_test(node, lists, used)


def _field(test: Test) -> FieldSpec:
    spec = FIELDS.get(test.field)
    if spec is None:
        close = get_close_matches(test.field, FIELDS, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; see docs/clearance.md for the field list"
        raise ExprError(f"unknown field {test.field!r}{hint}", test.pos)
    return spec


def _compile_test(test: Test, lists: Mapping[str, Sequence[Any]], used: list[str]) -> Predicate:
    spec = _field(test)
    used.append(spec.path)
    if test.op is None:
        single: Callable[[Any], bool] = bool
    else:
        single = _single_predicate(spec, test, lists)
    negate = test.op in ("!=", "not in")
    check = (lambda v: v is not None and any(single(x) for x in v)) if spec.many else single
    path = spec.path
    if path == "random":
        return (lambda d, f, r: not check(r)) if negate else (lambda d, f, r: check(r))
    if spec.scope:
        return (lambda d, f, r: not check(f.get(path))) if negate else (lambda d, f, r: check(f.get(path)))
    return (lambda d, f, r: not check(d.get(path))) if negate else (lambda d, f, r: check(d.get(path)))


def _literals(spec: FieldSpec, test: Test, lists: Mapping[str, Sequence[Any]]) -> list[Literal]:
    value = test.value
    if isinstance(value, str):  # @list
        if value not in lists:
            known = ", ".join(sorted(lists)) or "none defined"
            raise ExprError(f"unknown list @{value}; lists: {known}", test.pos)
        return [_list_literal(spec, value, item, test.pos) for item in lists[value]]
    return value if isinstance(value, list) else [value]  # type: ignore[list-item]


def _list_literal(spec: FieldSpec, name: str, item: Any, pos: int) -> Literal:
    if spec.kind == "num" and isinstance(item, int | float) and not isinstance(item, bool):
        return Literal(item, str(item), "num", pos)
    if isinstance(item, str):
        return Literal(item, item, "str", pos)
    raise ExprError(f"list @{name} holds {item!r} ({type(item).__name__}); {spec.path} needs "
                    f"{'numbers' if spec.kind == 'num' else 'quoted strings'} (YAML reads 0106 as a number)", pos)


def _typed(spec: FieldSpec, lit: Literal, op: str) -> Any:
    """The literal as the field's type, or ExprError saying what the field accepts."""
    where = f"{spec.path} {op} {lit.raw}"
    if lit.kind == "null":
        if op in ("==", "!=") and not spec.many:
            return None
        raise ExprError(f"{where}: null only compares with == or != on a single-valued field", lit.pos)
    if spec.kind == "num":
        if lit.kind != "num":
            raise ExprError(f"{where}: {spec.path} is a number; compare it with a number", lit.pos)
        return lit.value
    if spec.kind == "bool":
        if lit.kind != "bool":
            raise ExprError(f"{where}: {spec.path} is true/false; write it bare or compare with true/false", lit.pos)
        return lit.value
    if lit.kind == "bool":
        raise ExprError(f"{where}: {spec.path} is not true/false", lit.pos)
    text = lit.raw if lit.kind == "num" else lit.value
    if spec.kind == "enum" and text not in spec.values:
        raise ExprError(f"{where}: {text!r} is not a value of {spec.path}; values: {', '.join(spec.values)}", lit.pos)
    return text


def _single_predicate(spec: FieldSpec, test: Test, lists: Mapping[str, Sequence[Any]]) -> Callable[[Any], bool]:
    op = test.op or ""
    literals = _literals(spec, test, lists)
    if op in ("==", "!="):
        if len(literals) != 1 or isinstance(test.value, list | str):
            raise ExprError(f"{spec.path} {op}: compare with one value; use 'in' for a list", test.pos)
        expected = _typed(spec, literals[0], op)
        return lambda v: v == expected if expected is not None else v is None
    values = [_typed(spec, lit, op) for lit in literals]
    if op in ("in", "not in"):
        allowed = frozenset(values)
        return lambda v: v in allowed
    if op == "prefix":
        if spec.kind != "str":
            raise ExprError(f"{spec.path} prefix: only text fields have prefixes", test.pos)
        prefixes = tuple(values)
        return lambda v: isinstance(v, str) and v.startswith(prefixes)
    return _ordered(spec, op, values, test.pos)


def _ordered(spec: FieldSpec, op: str, values: list[Any], pos: int) -> Callable[[Any], bool]:
    if len(values) != 1:
        raise ExprError(f"{spec.path} {op}: compare with one value", pos)
    if spec.kind == "enum" and spec.ordered:
        rank = {v: i for i, v in enumerate(spec.values)}
        bound = rank[values[0]]
        compare = _COMPARE[op]
        return lambda v: v in rank and compare(rank[v], bound)
    if spec.kind != "num":
        ordered = [f.path for f in FIELDS.values() if f.ordered]
        raise ExprError(f"{spec.path} {op}: only numbers and ordered fields ({', '.join(ordered)}) compare with "
                        f"< <= > >=", pos)
    bound = values[0]
    compare = _COMPARE[op]
    return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and compare(v, bound)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
