"""Track geometry: the latitude span that rules out nearness never contradicts the distance."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from alerts.eta_track import haversine_km, lat_span_deg

LAT = st.floats(min_value=-89.0, max_value=89.0)
LON = st.floats(min_value=-180.0, max_value=180.0)
KM = st.floats(min_value=0.001, max_value=50.0)


@given(LAT, LON, LON, KM, st.floats(min_value=1e-12, max_value=1e-3), st.booleans())
def test_points_just_past_the_latitude_span_are_farther_than_the_radius(
    lat: float, lon1: float, lon2: float, km: float, past: float, north: bool
) -> None:
    span = lat_span_deg(km) * (1 + past)
    other = lat + span if north else lat - span
    assume(abs(other - lat) > lat_span_deg(km))  # what a scan compares (after rounding)
    assert haversine_km(lat, lon1, other, lon2) > km
    assert haversine_km(other, lon2, lat, lon1) > km


@given(LAT, LON, KM)
def test_the_span_is_barely_wider_than_the_radius_along_a_meridian(
    lat: float, lon: float, km: float
) -> None:
    span = lat_span_deg(km)
    inside = haversine_km(lat, lon, lat + span * (1 - 1e-6), lon)
    assert inside <= km  # a scan skipping points past the span skips no point within km
