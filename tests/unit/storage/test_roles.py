from __future__ import annotations

import pytest

from smartinspect.domain.roles import Role, parse_role


@pytest.mark.parametrize("given", ["scanner", Role.scanner])
def test_parse_role_accepts_names_and_members(given: str) -> None:
    assert parse_role(given) is Role.scanner


def test_parse_role_names_the_valid_roles() -> None:
    with pytest.raises(ValueError, match=r"'root'.*scanner, officer, expert, scientist, admin"):
        parse_role("root")
