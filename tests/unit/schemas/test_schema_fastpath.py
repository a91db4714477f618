"""The telemetry fast path builds exactly what full validation builds, or steps aside."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from schema_samples import telemetry

from schemas.fastpath import fast_telemetry
from schemas.telemetry import TelemetryReading

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**66), max_value=2**66),
    st.floats(),
    st.text(max_size=4),
)
numbers = st.one_of(
    st.floats(min_value=-400, max_value=400), st.integers(min_value=-300, max_value=300), anything
)
timestamps = st.one_of(
    st.sampled_from(
        [
            "2026-11-29T21:10:00Z",
            "2026-11-29T21:10:00.123456789+02:00",
            "2026-11-29T21:10:00",
            "2026-11-29t21:10:00z",
            "0001-01-01T00:00:00+01:00",
            "2026-02-30T00:00:00Z",
        ]
    ),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(),
    anything,
)
identifiers = st.one_of(st.text(max_size=300), anything)
locations = st.one_of(
    st.fixed_dictionaries(
        {"lat": numbers, "lon": numbers}, optional={"accuracy_m": numbers, "x": anything}
    ),
    anything,
)
temperatures = st.one_of(
    st.fixed_dictionaries(
        {"value": numbers}, optional={"unit": st.sampled_from(["C", "F", "K", "k", " f", "X"])}
    ),
    anything,
)

readings = st.fixed_dictionaries(
    {},
    optional={
        "event_id": identifiers,
        "shipment_id": identifiers,
        "logger_id": identifiers,
        "seq": st.one_of(st.integers(min_value=-5, max_value=2**64), anything),
        "recorded_at": timestamps,
        "temperature_c": numbers,
        "temperature": temperatures,
        "temperature_min_c": numbers,
        "temperature_max_c": numbers,
        "location": locations,
        "lid_open": st.one_of(st.booleans(), anything),
        "tilt_deg": numbers,
        "shock_g": numbers,
        "battery_pct": numbers,
        "ambient_c": numbers,
        "extra": anything,
    },
)


def _full_validation(payload: bytes) -> TelemetryReading | None:
    try:
        return TelemetryReading.model_validate(json.loads(payload))
    except (ValidationError, ValueError):
        return None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=readings,
    required=st.fixed_dictionaries(
        {
            "event_id": st.text(min_size=1, max_size=8),
            "shipment_id": st.text(min_size=1, max_size=8),
            "recorded_at": timestamps,
        }
    ),
)
def test_fast_path_equals_full_validation_or_declines(
    base: dict[str, Any], required: dict[str, Any]
) -> None:
    payload = json.dumps({**required, **base}).encode()
    fast = fast_telemetry(payload)
    if fast is None:
        return
    full = _full_validation(payload)
    assert full is not None, payload
    assert fast == full
    assert fast.model_fields_set == full.model_fields_set
    if full.location is not None:
        assert fast.location is not None
        assert fast.location.model_fields_set == full.location.model_fields_set
    assert fast.model_dump(mode="json") == full.model_dump(mode="json")


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"temperature_c": None, "temperature": {"value": -300.0, "unit": "F"}},
        {"recorded_at": 1_764_450_600_000},
        {"recorded_at": "2026-11-29T22:10:00+01:00"},
        {"location": {"lat": 1.5, "lon": 2}},
    ],
)
def test_plain_readings_take_the_fast_path(overrides: dict[str, Any]) -> None:
    wire = telemetry(**overrides)
    fast = fast_telemetry(orjson.dumps(wire))
    assert fast is not None
    assert fast == TelemetryReading.model_validate(wire)


def test_fast_path_declines_invalid_readings() -> None:
    assert fast_telemetry(orjson.dumps(telemetry(battery_pct=101))) is None
    assert fast_telemetry(b"\xff") is None
