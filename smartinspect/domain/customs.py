"""China Customs identifiers: the 18-digit declaration number (海关编号) and the 4-digit customs code (关区代码).

A declaration number reads ``CCCC YYYY F NNNNNNNNN``: the customs office that accepted it (4 digits), the
year (4), the direction flag (``1`` import, ``0`` export) and a 9-digit sequence. ``verify_*`` return the
normalised value or raise :class:`~smartinspect.domain.codes.InvalidCode` saying why.
"""

from __future__ import annotations

import re

from smartinspect.domain.codes import InvalidCode

_DECLARATION_NO = re.compile(r"^\d{18}$")
_CUSTOMS_CODE = re.compile(r"^\d{4}$")
DIRECTION_FLAGS = {"import": "1", "export": "0"}


def verify_customs_code(raw: str) -> str:
    """A 4-digit customs office / port code (关区代码), e.g. ``2248`` (Yangshan, Shanghai)."""
    code = raw.strip()
    if not _CUSTOMS_CODE.match(code):
        raise InvalidCode(f"customs code {raw!r} must be 4 digits (关区代码, e.g. 2248)")
    return code


def verify_declaration_number(raw: str, *, direction: str | None = None) -> str:
    """An 18-digit declaration number; with ``direction`` (import/export) its 9th digit must agree (1/0)."""
    number = re.sub(r"[\s\-]", "", raw)
    if not _DECLARATION_NO.match(number):
        raise InvalidCode(f"declaration number {raw!r} must be 18 digits (customs code, year, I/E flag, sequence)")
    year = int(number[4:8])
    if not 1980 <= year <= 2199:
        raise InvalidCode(f"declaration number {raw!r} has year {year} in digits 5-8")
    if direction is not None:
        flag = DIRECTION_FLAGS.get(direction)
        if flag is None:
            raise InvalidCode(f"direction {direction!r} is neither import nor export")
        if number[8] != flag:
            raise InvalidCode(f"declaration number {raw!r} has I/E flag {number[8]} in digit 9, "
                              f"but the declaration is an {direction} ({flag})")
    return number


def declaration_number(*, customs_code: str, year: int, direction: str, sequence: int) -> str:
    """Compose a number (for synthetic data and tests)."""
    if not 0 <= sequence < 10**9:
        raise InvalidCode(f"sequence {sequence} does not fit the 9 digits of a declaration number")
    return f"{verify_customs_code(customs_code)}{year:04d}{DIRECTION_FLAGS[direction]}{sequence:09d}"
