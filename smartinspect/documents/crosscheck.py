"""Networked verification: the declaration against the invoice, packing list and bill of lading.

Compared: container sets, gross and net weight (0.5 % tolerance), packages, total value (per currency),
consignee (credit code first, else the name in the same script) and HS codes at the 6-digit level. Each
disagreement is one ``Discrepancy`` naming the documents and what each says.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from smartinspect.documents.normalise import norm_name
from smartinspect.documents.types import Discrepancy, DocType, DocumentExtraction, ExtractedField, LineItem, Severity

WEIGHT_TOLERANCE = 0.005  # relative
VALUE_TOLERANCE = 0.005
NAME_SIMILARITY = 0.8  # below this, two names in the same script are different companies


def _numbers(docs: dict[str, DocumentExtraction], name: str, *, derived: bool) -> dict[str, float]:
    out = {}
    for key, ex in docs.items():
        f = ex.get(name)
        if f is not None and f.normalised is not None and (derived or not f.derived):
            out[key] = float(f.normalised)
    return out


def _reference(values: dict[str, Any]) -> str:
    """The document others are compared with: the declaration when present, else the first."""
    return "declaration" if "declaration" in values else next(iter(values))


def _compare_numbers(docs, name: str, tolerance: float, *, derived: bool = False) -> list[Discrepancy]:
    values = _numbers(docs, name, derived=derived)
    if len(values) < 2:
        return []
    ref = _reference(values)
    off = {k: v for k, v in values.items() if abs(v - values[ref]) > max(0.011, tolerance * abs(values[ref]))}
    if not off:
        return []
    worst = max(abs(v - values[ref]) / max(abs(values[ref]), 1e-9) for v in off.values())
    severity = Severity.high if worst > 0.05 else Severity.medium
    message = f"{name} differs: {ref} states {values[ref]:,.2f}; " + ", ".join(
        f"{k} {v:,.2f}" for k, v in off.items())
    return [Discrepancy(name, severity, message, [ref, *off], values)]


def check_containers(docs: dict[str, DocumentExtraction]) -> list[Discrepancy]:
    sets = {k: sorted({str(v) for v in ex.values("container_numbers")}) for k, ex in docs.items()}
    sets = {k: v for k, v in sets.items() if v}
    if len(sets) < 2:
        return []
    ref = _reference(sets)
    off = [k for k, v in sets.items() if v != sets[ref]]
    if not off:
        return []
    missing = {k: sorted(set(sets[ref]) ^ set(sets[k])) for k in off}
    message = f"container numbers differ from the {ref}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in missing.items())
    return [Discrepancy("container_numbers", Severity.high, message, [ref, *off], sets)]


def _totals_by_currency(docs: dict[str, DocumentExtraction]) -> list[Discrepancy]:
    currencies = {k: ex.value("currency") for k, ex in docs.items() if ex.value("currency")}
    out = []
    if len(set(currencies.values())) > 1:
        ref = _reference(currencies)
        off = [k for k, v in currencies.items() if v != currencies[ref]]
        out.append(Discrepancy("currency", Severity.medium, f"currency differs: {ref} {currencies[ref]}, "
                               + ", ".join(f"{k} {currencies[k]}" for k in off), [ref, *off], currencies))
    by_currency: dict[str, dict[str, DocumentExtraction]] = {}
    for k, ex in docs.items():
        by_currency.setdefault(str(currencies.get(k)), {})[k] = ex
    for group in by_currency.values():
        found = _compare_numbers(group, "total_value", VALUE_TOLERANCE, derived=True)
        out.extend(found)
    return out


def _party(ex: DocumentExtraction, role: str) -> tuple[str | None, str | None]:
    name, code = ex.value(f"{role}_name"), ex.value(f"{role}_uscc")
    return (str(name) if name else None), (str(code) if code else None)


def _same_script(a: str, b: str) -> bool:
    return a.isascii() == b.isascii()


def _conflict(a: tuple[str | None, str | None], b: tuple[str | None, str | None]) -> bool | None:
    """True/False when two parties can be compared (codes on both, or names in one script), else None."""
    (aname, acode), (bname, bcode) = a, b
    if acode and bcode:
        return acode != bcode
    if aname and bname and _same_script(aname, bname):
        return SequenceMatcher(None, norm_name(aname), norm_name(bname)).ratio() < NAME_SIMILARITY
    return None


def check_party(docs: dict[str, DocumentExtraction], role: str = "consignee") -> list[Discrepancy]:
    """Every comparable pair of documents must agree: credit codes where both print one, else names in the
    same script (an English invoice and a Chinese declaration are compared through their codes only)."""
    parties = {k: _party(ex, role) for k, ex in docs.items()}
    parties = {k: v for k, v in parties.items() if v[0] or v[1]}
    keys = list(parties)
    conflicts = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:] if _conflict(parties[a], parties[b])]
    if not conflicts:
        return []
    involved = sorted({k for pair in conflicts for k in pair}, key=lambda k: -sum(k in p for p in conflicts))
    values = {k: {"name": v[0], "uscc": v[1]} for k, v in parties.items()}
    message = f"{role} differs between documents: " + "; ".join(
        f"{a} ({parties[a][1] or parties[a][0]}) vs {b} ({parties[b][1] or parties[b][0]})" for a, b in conflicts)
    return [Discrepancy(role, Severity.high, message, involved, values)]


def check_hs_codes(docs: dict[str, DocumentExtraction]) -> list[Discrepancy]:
    """Classification at the 6-digit HS level, so a B/L's 6-digit codes compare with China's 10-digit ones.

    A code is flagged when no other document corroborates it (a different classification, or goods that
    appear on one document only). A code merely missing from one document is not: bills of lading often
    list only some codes, and the OCR may miss one.
    """
    sets = {k: sorted({str(v)[:6] for v in ex.values("hs_codes") if v}) for k, ex in docs.items()}
    sets = {k: v for k, v in sets.items() if v}
    if len(sets) < 2:
        return []
    ref = _reference(sets)
    lone = {k: [c for c in codes if not any(c in other for j, other in sets.items() if j != k)]
            for k, codes in sets.items()}
    off = [k for k, codes in lone.items() if codes]
    if not off:
        return []
    message = f"HS codes (6-digit) found on one document only (the {ref} has {', '.join(sets[ref])}): " + "; ".join(
        f"{k}: {', '.join(lone[k])}" for k in off)
    return [Discrepancy("hs_codes", Severity.high, message, sorted(set(off) | {ref}, key=list(sets).index), sets)]


def cross_check(documents: dict[str, DocumentExtraction], *, declaration: DocumentExtraction | None = None
                ) -> list[Discrepancy]:
    """Discrepancies between documents (keys name them in the result). ``declaration``, when given, is the
    reference (e.g. the declaration as filed, from :func:`declaration_to_extraction`)."""
    docs = dict(documents)
    if declaration is not None:
        docs = {"declaration": declaration, **{k: v for k, v in docs.items() if k != "declaration"}}
    out = check_containers(docs)
    out += _compare_numbers(docs, "gross_weight", WEIGHT_TOLERANCE)
    out += _compare_numbers(docs, "net_weight", WEIGHT_TOLERANCE)
    out += _compare_numbers(docs, "packages", 0.0)
    out += _totals_by_currency(docs)
    out += check_party(docs, "consignee")
    out += check_hs_codes(docs)
    return out


def declaration_to_extraction(declaration: Any) -> DocumentExtraction:
    """The clearance ``Declaration`` row (storage.models_clearance) as an extraction of type declaration, so the
    filed declaration is the reference of :func:`cross_check`."""
    def field(name: str, value: Any) -> list[ExtractedField]:
        return [] if value in (None, "") else [ExtractedField(name, str(value), value, 1.0, 0)]

    domestic = "consignor" if declaration.direction == "export" else "consignee"
    fields = field("declaration_no", declaration.number) + field(f"{domestic}_name", norm_name(declaration.consignee_name))
    fields += field(f"{domestic}_uscc", declaration.consignee_code) + field("bl_no", declaration.bill_of_lading)
    fields += field("vessel", declaration.vessel) + field("voyage", declaration.voyage)
    fields += field("incoterm", declaration.incoterm) + field("currency", declaration.currency)
    fields += field("packages", declaration.package_count) + field("gross_weight", declaration.gross_kg)
    fields += field("net_weight", declaration.net_kg) + field("total_value", declaration.total_value)
    fields += [f for c in declaration.containers for f in field("container_numbers", c.container_no)]
    fields += [f for i in declaration.items for f in field("hs_codes", i.hs_code)]
    items = [LineItem({k: ExtractedField(k, str(v), v, 1.0, 0) for k, v in (
        ("hs_code", i.hs_code), ("description", norm_name(i.description)), ("quantity", i.quantity),
        ("unit", i.unit), ("amount", i.value), ("net_kg", i.net_kg), ("gross_kg", i.gross_kg),
        ("currency", i.currency), ("origin", i.origin)) if v is not None}) for i in declaration.items]
    return DocumentExtraction(DocType.declaration, 1.0, "zh", fields, items)
