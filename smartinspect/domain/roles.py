"""The roles an API key can carry. Dependency-free so the CLI can offer them without importing SQLAlchemy."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    scanner = "scanner"  # X-ray station: submits scans
    officer = "officer"  # customs officer: documents, wood, declarations
    expert = "expert"  # image analyst: works the review queue
    scientist = "scientist"  # data scientist: models and evaluation
    admin = "admin"  # operations: keys, configuration (not implicitly every route)


def parse_role(role: Role | str) -> Role:
    """``role`` as a :class:`Role`, or ValueError naming the valid roles."""
    try:
        return Role(role)
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {role!r}; valid roles: {valid}") from None
