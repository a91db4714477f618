"""The telemetry fast path builds exactly what full validation builds, or steps aside."""

from __future__ import annotations

import copy
import json
import math
import pickle
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from schema_samples import RECEIVED_AT, telemetry

from schemas.deadletter import DeadLetter
from schemas.decode import Decoded, decode
from schemas.fastpath import _round6, _WireReading, fast_telemetry
from schemas.fieldsets import SharedFieldsSet
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


def _assert_same_reading(fast: TelemetryReading, full: TelemetryReading) -> None:
    """Same values of the same types in the same order, same fields set, same dump."""
    assert type(fast) is type(full)
    assert fast == full
    assert hash(fast) == hash(full)
    assert repr(fast) == repr(full)  # field order and int-versus-float show here
    assert fast.model_fields_set == full.model_fields_set
    if full.location is not None:
        assert fast.location is not None
        assert type(fast.location) is type(full.location)
        assert fast.location.model_fields_set == full.location.model_fields_set
    assert fast.model_dump_json() == full.model_dump_json()
    assert fast.model_dump(mode="json") == full.model_dump(mode="json")
    assert fast.model_dump(exclude_unset=True) == full.model_dump(exclude_unset=True)


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
    _assert_same_reading(fast, full)


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
    _assert_same_reading(fast, TelemetryReading.model_validate(wire))


def test_fast_path_declines_invalid_readings() -> None:
    assert fast_telemetry(orjson.dumps(telemetry(battery_pct=101))) is None
    assert fast_telemetry(b"\xff") is None


@pytest.mark.parametrize(
    "payload",
    [
        orjson.dumps(telemetry(event_id="LOG-42:\u0000")),  # escaped NUL: decode rejects it
        orjson.dumps(telemetry(temperature_c=None, temperature={"value": 1.0, "unit": "X"})),
        orjson.dumps(telemetry(temperature_min_c=-150.0, temperature_max_c=-190.0)),
        orjson.dumps(telemetry(recorded_at=253_402_300_800_000)),  # one ms after 9999
        orjson.dumps(telemetry(recorded_at="2026-11-29T21:10:00")),
        b'{"x":"\xff",' + orjson.dumps(telemetry())[1:],  # bad UTF-8 in a field msgspec skips
        b'{"\xc3":1,' + orjson.dumps(telemetry())[1:],  # ... or in a key
        orjson.dumps(telemetry()) + b"\x00",  # a raw NUL after the object: decode rejects it
        b"\x00" + orjson.dumps(telemetry()),
    ],
)
def test_fast_path_declines_what_full_decoding_treats_otherwise(payload: bytes) -> None:
    assert fast_telemetry(payload) is None


def test_last_representable_epoch_millisecond_takes_the_fast_path() -> None:
    wire = telemetry(recorded_at=253_402_300_799_999)
    fast = fast_telemetry(orjson.dumps(wire))
    assert fast is not None
    _assert_same_reading(fast, TelemetryReading.model_validate(wire))


# -- decode itself: the same outcome with the fast path as without it -------------------------

FRAGMENTS = [
    b'"x":"\xff",',  # invalid UTF-8 where msgspec skips the text
    b'"\xe2\x82":1,',  # a cut multi-byte sequence in a key
    b'"x":"\xc3\xa9",',  # valid UTF-8
    b'"\\u0000":1,',  # escaped NUL in a key
    b'"x":"\\u0000",',  # ... in a skipped value
    b'"x":"\\\\u0000",',  # an escaped backslash then "u0000": still rejected as NUL
    b'"x":"\\ud800",',  # lone surrogate
    b'"x":"\\u00e9\\/",',  # harmless escapes
    b'"x":"\x00",',  # raw NUL in a string
    b'"x":"\x01",',  # raw control character
    b'"x":[[[]]],',
    b"\x00",
    b"\\",
    b"\xff",
    b" ",
    b",",
]


@settings(max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=readings,
    required=st.fixed_dictionaries(
        {
            "event_id": st.text(min_size=1, max_size=8),
            "shipment_id": st.text(min_size=1, max_size=8),
            "recorded_at": timestamps,
        }
    ),
    ascii_only=st.booleans(),
    fragment=st.one_of(st.none(), st.sampled_from(FRAGMENTS), st.binary(min_size=1, max_size=3)),
    where=st.integers(min_value=0, max_value=2**16),
    check_future=st.booleans(),
)
def test_decode_is_the_same_with_or_without_the_fast_path(
    base: dict[str, Any],
    required: dict[str, Any],
    ascii_only: bool,
    fragment: bytes | None,
    where: int,
    check_future: bool,
) -> None:
    payload = json.dumps({**required, **base}, ensure_ascii=ascii_only).encode(
        "utf-8", errors="surrogatepass"
    )
    if fragment is not None:  # after the opening brace mostly, else anywhere
        position = 1 if where % 2 else where % (len(payload) + 1)
        payload = payload[:position] + fragment + payload[position:]

    def outcome() -> Decoded | DeadLetter:
        return decode(
            "telemetry",
            payload,
            received_at=RECEIVED_AT,
            key="k",
            partition=0,
            offset=7,
            check_future=check_future,
        )

    with_fast_path = outcome()
    with patch("schemas.decode.fast_telemetry", return_value=None):
        without = outcome()
    assert type(with_fast_path) is type(without)
    if isinstance(without, DeadLetter):
        assert with_fast_path == without
    else:
        assert isinstance(with_fast_path, Decoded)
        assert len(with_fast_path.events) == len(without.events) == 1
        fast, full = with_fast_path.events[0], without.events[0]
        assert isinstance(fast, TelemetryReading)
        assert isinstance(full, TelemetryReading)
        _assert_same_reading(fast, full)


def test_bad_utf8_in_an_unknown_field_is_not_utf8_on_the_bytes_path() -> None:
    payload = b'{"x":"\xff",' + orjson.dumps(telemetry())[1:]
    letter = decode("telemetry", payload, received_at=RECEIVED_AT)
    assert isinstance(letter, DeadLetter)
    assert letter.reason == "not_utf8"


def test_escaped_nul_in_an_unknown_key_is_rejected_on_the_bytes_path() -> None:
    payload = b'{"\\u0000":1,' + orjson.dumps(telemetry())[1:]
    letter = decode("telemetry", payload, received_at=RECEIVED_AT)
    assert isinstance(letter, DeadLetter)
    assert (letter.reason, letter.errors[0].type) == ("schema", "nul_character")


# -- the pieces the fast path relies on --------------------------------------------------------


def test_wire_struct_lists_the_model_fields_in_order_then_the_temperature_input() -> None:
    assert _WireReading.__struct_fields__ == (*TelemetryReading.model_fields, "temperature")


def _same_float(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@settings(max_examples=3000, deadline=None)
@given(
    value=st.one_of(
        st.floats(min_value=-1e6, max_value=1e6),
        st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: n / 1e6),
        st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: (n + 0.5) / 1e6),
        st.integers(min_value=-(2**20), max_value=2**20).flatmap(
            lambda n: st.integers(min_value=0, max_value=40).map(lambda k: n / 2**k)
        ),
    )
)
def test_round6_is_round_to_six_places(value: float) -> None:
    assert _same_float(_round6(value), round(value, 6)), value


@pytest.mark.parametrize(
    "value", [0.0078125, -0.0078125, 0.0234375, 5e-7, -5e-7, 1e-9, -1e-9, 0.0, -0.0, 1e6, -1e6]
)
def test_round6_keeps_ties_to_even_and_the_sign_of_zero(value: float) -> None:
    assert _same_float(_round6(value), round(value, 6))


def test_fast_path_declines_readings_after_the_latest_time() -> None:
    wire = telemetry()
    payload = orjson.dumps(wire)
    recorded = TelemetryReading.model_validate(wire).recorded_at
    assert fast_telemetry(payload, recorded) is not None
    assert fast_telemetry(payload, recorded - timedelta(microseconds=1)) is None
    epoch_payload = orjson.dumps(telemetry(recorded_at=int(recorded.timestamp() * 1000)))
    assert fast_telemetry(epoch_payload, recorded - timedelta(microseconds=1)) is None


def test_fast_readings_and_their_locations_are_frozen() -> None:
    reading = fast_telemetry(orjson.dumps(telemetry()))
    assert reading is not None
    assert reading.location is not None
    with pytest.raises(ValidationError):
        reading.seq = 1  # type: ignore[misc] # the assignment a frozen model refuses
    with pytest.raises(ValidationError):
        reading.location.lat = 0.0  # type: ignore[misc] # the same, on the nested model


def _fast(**overrides: Any) -> TelemetryReading:
    reading = fast_telemetry(orjson.dumps(telemetry(**overrides)))
    assert reading is not None
    return reading


def test_readings_of_one_shape_share_a_fields_set_that_refuses_changes() -> None:
    first, second = _fast(seq=1), _fast(seq=2)
    shared = first.model_fields_set
    assert shared is second.model_fields_set
    assert isinstance(shared, SharedFieldsSet)
    before = set(shared)
    changes: list[Callable[[], object]] = [
        lambda: shared.add("x"),
        lambda: shared.discard("seq"),
        lambda: shared.remove("seq"),
        shared.pop,
        shared.clear,
        lambda: shared.update({"x"}),
        lambda: shared.difference_update({"seq"}),
        lambda: shared.intersection_update({"seq"}),
        lambda: shared.symmetric_difference_update({"seq"}),
        lambda: shared.__ior__({"x"}),
        lambda: shared.__iand__({"seq"}),
        lambda: shared.__isub__({"seq"}),
        lambda: shared.__ixor__({"seq"}),
    ]
    for change in changes:
        with pytest.raises(TypeError):
            change()
    assert shared == before
    assert repr(shared) == repr(set(shared))


def test_copies_of_a_shared_fields_set_are_plain_sets() -> None:
    shared = _fast().model_fields_set
    for duplicate in (
        shared.copy(),
        copy.copy(shared),
        copy.deepcopy(shared),
        pickle.loads(pickle.dumps(shared)),
        shared | {"x"},
    ):
        assert type(duplicate) is set
    assert shared.copy() == shared


def test_model_copy_pickle_and_deepcopy_of_a_fast_reading_leave_the_shared_set_alone() -> None:
    reading = _fast()
    full = TelemetryReading.model_validate(telemetry())
    updated = reading.model_copy(update={"temperature_min_c": -190.0})
    assert updated.model_fields_set == full.model_fields_set | {"temperature_min_c"}
    assert "temperature_min_c" not in reading.model_fields_set
    assert "temperature_min_c" not in _fast().model_fields_set
    for duplicate in (pickle.loads(pickle.dumps(reading)), copy.deepcopy(reading)):
        assert duplicate == full
        assert duplicate.model_fields_set == full.model_fields_set
        assert type(duplicate.model_fields_set) is set
