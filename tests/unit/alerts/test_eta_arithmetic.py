"""The ETA's arithmetic written for the compiled build gives the bits the plain formulas give."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from alerts.eta_route import _larger
from alerts.eta_track import EARTH_RADIUS_KM, _great_circle_km

_LAT = st.floats(min_value=-90.0, max_value=90.0, allow_nan=False)
_LON = st.floats(min_value=-180.0, max_value=180.0, allow_nan=False)
_ANY = st.floats(allow_nan=True, allow_infinity=True)


def _haversine_as_before(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The formula as it stood before session 39 (``** 2``, the builtin ``min``)."""
    half, rad = math.pi / 360.0, math.pi / 180.0
    a = (
        math.sin((lat2 - lat1) * half) ** 2
        + math.cos(lat1 * rad) * math.cos(lat2 * rad) * math.sin((lon2 - lon1) * half) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@given(_LAT, _LON, _LAT, _LON)
def test_great_circle_is_the_same_double_as_the_plain_formula(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    got = _great_circle_km(lat1, lon1, lat2, lon2)
    assert got.hex() == _haversine_as_before(lat1, lon1, lat2, lon2).hex()


def test_great_circle_of_antipodes_is_half_the_circumference() -> None:
    """The largest distance there is (``a`` is 1 there, the clamp's edge)."""
    assert _great_circle_km(0.0, 0.0, 0.0, 180.0) == math.pi * EARTH_RADIUS_KM


@given(_ANY, _ANY)
def test_larger_is_max_to_the_bit_nan_and_signed_zero_included(a: float, b: float) -> None:
    assert _larger(a, b).hex() == max(a, b).hex()


def test_larger_keeps_the_first_of_equal_zeros_as_max_does() -> None:
    assert math.copysign(1.0, _larger(-0.0, 0.0)) == -1.0
    assert math.copysign(1.0, _larger(0.0, -0.0)) == 1.0
