"""Fast path for plain, valid telemetry: msgspec decodes and checks in C, no pydantic validation.

``fast_telemetry`` returns exactly the model that full decoding (JSON parse then
``TelemetryReading.model_validate``) would build, with the same values and the same
``model_fields_set``, or ``None`` when the bytes are anything but the plain form; the caller
then runs full validation, which also produces the field errors. The equivalence of both
paths is property-tested (tests/unit/schemas/test_schema_fastpath.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, NotRequired, Required, TypedDict, TypeVar

import msgspec
from msgspec import Meta
from pydantic import BaseModel

from schemas.telemetry import MAX_SEQ, Location, TelemetryReading
from schemas.timestamps import coerce_timestamp
from schemas.units import to_celsius

__all__ = ["fast_telemetry"]

_ModelT = TypeVar("_ModelT", bound=BaseModel)

_FLOAT_MAX: Final = sys.float_info.max
_ABSOLUTE_ZERO_C: Final = -273.15
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_BACKSLASH: Final = ord("\\")  # an int: ``in`` then runs memchr, with no exception inside

_Id = Annotated[str, Meta(min_length=1, max_length=256)]
_Celsius = Annotated[float, Meta(ge=_ABSOLUTE_ZERO_C, le=100.0)]
_NonNegative = Annotated[float, Meta(ge=0.0, le=_FLOAT_MAX)]


class _WireLocation(TypedDict):
    lat: Annotated[float, Meta(ge=-90.0, le=90.0)]
    lon: Annotated[float, Meta(ge=-180.0, le=180.0)]
    accuracy_m: NotRequired[_NonNegative | None]


class _WireTemperature(TypedDict):
    value: Annotated[float, Meta(ge=-1e6, le=1e6)]
    unit: str


class _WireReading(TypedDict, total=False):
    event_id: Required[_Id]
    shipment_id: Required[_Id]
    recorded_at: Required[datetime | int]
    logger_id: _Id | None
    seq: Annotated[int, Meta(ge=0, le=MAX_SEQ)] | None
    temperature_c: _Celsius | None
    temperature: _WireTemperature | None
    temperature_min_c: _Celsius | None
    temperature_max_c: _Celsius | None
    location: _WireLocation | None
    lid_open: bool | None
    tilt_deg: Annotated[float, Meta(ge=0.0, le=180.0)] | None
    shock_g: _NonNegative | None
    battery_pct: Annotated[float, Meta(ge=0.0, le=100.0)] | None
    ambient_c: _Celsius | None


_DECODER: Final = msgspec.json.Decoder(_WireReading)
_READING_DEFAULTS: Final = dict.fromkeys(TelemetryReading.model_fields)
_LOCATION_DEFAULTS: Final = dict.fromkeys(Location.model_fields)

# The slots of a pydantic model, set directly (the frozen models refuse ``setattr``): what
# ``model_construct`` does, without its per-field Python loop.
_new_object: Final = object.__new__
_set_dict: Final[Callable[[object, dict[str, Any]], None]] = BaseModel.__dict__["__dict__"].__set__
_set_fields_set: Final[Callable[[object, set[str]], None]] = BaseModel.__dict__[
    "__pydantic_fields_set__"
].__set__
_set_extra: Final[Callable[[object, None], None]] = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private: Final[Callable[[object, None], None]] = BaseModel.__dict__[
    "__pydantic_private__"
].__set__


class _Bail(Exception):
    """Not the plain form: let full validation decide."""


def _new(cls: type[_ModelT], values: dict[str, Any], fields_set: set[str]) -> _ModelT:
    """Build a model instance from already valid values (what ``model_construct`` does)."""
    instance = _new_object(cls)
    _set_dict(instance, values)
    _set_fields_set(instance, fields_set)
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance


def _celsius(temperature: _WireTemperature) -> float:
    celsius = to_celsius(temperature["value"], temperature["unit"])  # ValueError: unknown unit
    if not _ABSOLUTE_ZERO_C <= celsius <= 100.0:
        raise _Bail
    return celsius


def _unusual(given: _WireReading) -> TelemetryReading | None:
    """``fast_telemetry`` for the rarer forms: a ``temperature`` object, epoch milliseconds,
    another offset than UTC, a minimum (and maximum) temperature."""
    try:
        temperature = given.pop("temperature", None)
        fields_set = set(given)
        values: dict[str, Any] = {**_READING_DEFAULTS, **given}
        if temperature is not None:
            if values["temperature_c"] is not None:
                return None
            values["temperature_c"] = _celsius(temperature)
            fields_set.add("temperature_c")
        recorded_at = values["recorded_at"]
        if type(recorded_at) is int:  # what coerce_timestamp does; OverflowError out of range
            values["recorded_at"] = _EPOCH + timedelta(milliseconds=recorded_at)
        elif recorded_at.tzinfo is not UTC:
            values["recorded_at"] = coerce_timestamp(recorded_at)
        low = values["temperature_min_c"]
        if low is not None:
            high = values["temperature_max_c"]
            if high is not None and low > high:
                return None
    except Exception:  # anything unusual goes the full (reporting) way
        return None
    location = values["location"]
    if location is not None:
        values["location"] = _new(Location, {**_LOCATION_DEFAULTS, **location}, set(location))
    return _new(TelemetryReading, values, fields_set)


def _valid_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def fast_telemetry(payload: bytes) -> TelemetryReading | None:
    """The reading in plain, valid JSON ``payload``; ``None`` means "validate it the full way".

    A payload that escapes NUL (``\\u0000``) is not plain (the caller rejects it), nor is one
    that is not UTF-8 (msgspec does not read the text of the unknown fields it skips).
    Written flat, without helper calls on the common path: this runs once per reading.
    """
    if (_BACKSLASH in payload and b"\\u0000" in payload) or (
        not payload.isascii() and not _valid_utf8(payload)
    ):
        return None
    try:
        given: _WireReading = _DECODER.decode(payload)
    except msgspec.DecodeError:
        return None
    recorded_at = given["recorded_at"]
    if (
        "temperature" in given
        or "temperature_min_c" in given
        or type(recorded_at) is not datetime
        or recorded_at.tzinfo is not UTC
    ):
        return _unusual(given)
    values: dict[str, Any] = {**_READING_DEFAULTS, **given}
    location = values["location"]
    if location is not None:
        place = _new_object(Location)
        _set_dict(place, {**_LOCATION_DEFAULTS, **location})
        _set_fields_set(place, set(location))
        _set_extra(place, None)
        _set_private(place, None)
        values["location"] = place
    reading = _new_object(TelemetryReading)
    _set_dict(reading, values)
    _set_fields_set(reading, set(given))
    _set_extra(reading, None)
    _set_private(reading, None)
    return reading
