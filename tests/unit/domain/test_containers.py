import numpy as np
import pytest

from smartinspect.domain.containers import InvalidContainerNumber, random_container_number, verify_container_number


@pytest.mark.parametrize("raw", ["CSQU3054383", "csqu 305438-3", "MSKU9070323"])
def test_valid_numbers(raw):
    assert verify_container_number(raw) == raw.upper().replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("CSQU3054384", "check digit"), ("CSQ3054383", "ISO 6346"), ("CSQX3054383", "ISO 6346"), ("", "ISO 6346")],
)
def test_invalid_numbers(raw, reason):
    with pytest.raises(InvalidContainerNumber, match=reason):
        verify_container_number(raw)


def test_random_numbers_are_valid():
    rng = np.random.default_rng(1)
    for _ in range(50):
        verify_container_number(random_container_number(rng))
