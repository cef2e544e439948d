"""ISO 6346 freight-container numbers: owner code (3 letters), category (U/J/Z), serial (6 digits), check digit."""

from __future__ import annotations

import re

import numpy as np

_PATTERN = re.compile(r"^([A-Z]{3})([UJZ])(\d{6})(\d)$")
# Letter values skip multiples of 11 (A=10, B=12, ..., K=21, L=23, ...).
_LETTER_VALUES: dict[str, int] = {}
_v = 10
for _ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _v % 11 == 0:
        _v += 1
    _LETTER_VALUES[_ch] = _v
    _v += 1


class InvalidContainerNumber(ValueError):
    """Raised with the offending value and the reason."""


def iso6346_check_digit(first10: str) -> int:
    """Check digit for the first 10 characters (owner+category+serial)."""
    if len(first10) != 10:
        raise InvalidContainerNumber(f"need 10 characters to compute a check digit, got {first10!r}")
    total = 0
    for i, ch in enumerate(first10):
        value = _LETTER_VALUES[ch] if ch.isalpha() else int(ch)
        total += value * (2**i)
    return total % 11 % 10


def normalise_container_number(raw: str) -> str:
    """Strip spaces, dashes and case: ``"msku 123456-7"`` -> ``"MSKU1234567"``."""
    return re.sub(r"[\s\-/.]", "", raw).upper()


def verify_container_number(raw: str) -> str:
    """Return the normalised number, or raise :class:`InvalidContainerNumber` saying why."""
    number = normalise_container_number(raw)
    match = _PATTERN.match(number)
    if not match:
        msg = f"container number {raw!r} is not 3 letters + U/J/Z + 6 digits + check digit (ISO 6346)"
        raise InvalidContainerNumber(msg)
    expected = iso6346_check_digit(number[:10])
    if int(number[10]) != expected:
        msg = f"container number {raw!r} has check digit {number[10]}, ISO 6346 gives {expected}"
        raise InvalidContainerNumber(msg)
    return number


def random_container_number(rng: np.random.Generator) -> str:
    """A valid, random container number (category U), for synthetic data."""
    owner = "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), size=3))
    serial = "".join(str(d) for d in rng.integers(0, 10, size=6))
    first10 = f"{owner}U{serial}"
    return first10 + str(iso6346_check_digit(first10))
