"""Fast path for plain, valid telemetry: msgspec decodes and checks in C, no pydantic validation.

``fast_telemetry`` returns exactly the model that full decoding (JSON parse then
``TelemetryReading.model_validate``) would build, with the same values and the same
``model_fields_set``, or ``None`` when the bytes are anything but the plain form; the caller
then runs full validation, which also produces the field errors. The equivalence of both
paths is property-tested (tests/unit/schemas/test_schema_fastpath.py).

msgspec decodes into ``Struct`` types (no dictionary of the given keys per message); a field
the payload leaves out stays ``UNSET``. Which optional fields are left out is the reading's
shape; a table of shapes (at most 2**12) holds the fields set of each, one read-only set
shared by all readings of that shape (``schemas.fieldsets``), and whether the reading needs
more than copying its values. The models are built as drafts (``schemas.drafts``): the values
stored as attributes in field order, then the draft's class becomes the model's.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final, TypeAlias, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.drafts import draft_class
from schemas.fieldsets import SharedFieldsSet
from schemas.telemetry import MAX_SEQ, Location, TelemetryReading
from schemas.timestamps import coerce_timestamp
from schemas.units import to_celsius

__all__ = ["fast_telemetry"]

_T = TypeVar("_T")

_FLOAT_MAX: Final = sys.float_info.max
_ABSOLUTE_ZERO_C: Final = -273.15
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND: Final = timedelta(milliseconds=1)  # times an int: exact, and cheaper to build
_TWO_ULPS: Final = 2.0**-51  # two units in the last place, relative
_BACKSLASH: Final = ord("\\")  # an int: ``in`` then runs memchr, with no exception inside

_Id = Annotated[str, Meta(min_length=1, max_length=256)]
_Celsius = Annotated[float, Meta(ge=_ABSOLUTE_ZERO_C, le=100.0)]
_NonNegative = Annotated[float, Meta(ge=0.0, le=_FLOAT_MAX)]
_Optional: TypeAlias = _T | UnsetType | None
"""An optional field: ``UNSET`` when the payload leaves it out, ``None`` for ``null``."""


class _WireLocation(msgspec.Struct, gc=False):
    lat: Annotated[float, Meta(ge=-90.0, le=90.0)]
    lon: Annotated[float, Meta(ge=-180.0, le=180.0)]
    accuracy_m: _Optional[_NonNegative] = UNSET


class _WireTemperature(msgspec.Struct, gc=False):
    value: Annotated[float, Meta(ge=-1e6, le=1e6)]
    unit: str


class _WireReading(msgspec.Struct, gc=False, kw_only=True):
    """TelemetryReading's fields in its order, then the ``temperature`` input form:
    ``fast_telemetry`` unpacks them by position (a unit test holds the order)."""

    event_id: _Id
    shipment_id: _Id
    logger_id: _Optional[_Id] = UNSET
    seq: _Optional[Annotated[int, Meta(ge=0, le=MAX_SEQ)]] = UNSET
    recorded_at: datetime | int
    temperature_c: _Optional[_Celsius] = UNSET
    temperature_min_c: _Optional[_Celsius] = UNSET
    temperature_max_c: _Optional[_Celsius] = UNSET
    location: _Optional[_WireLocation] = UNSET
    lid_open: _Optional[bool] = UNSET
    tilt_deg: _Optional[Annotated[float, Meta(ge=0.0, le=180.0)]] = UNSET
    shock_g: _Optional[_NonNegative] = UNSET
    battery_pct: _Optional[Annotated[float, Meta(ge=0.0, le=100.0)]] = UNSET
    ambient_c: _Optional[_Celsius] = UNSET
    temperature: _Optional[_WireTemperature] = UNSET


_DECODE: Final = msgspec.json.Decoder(_WireReading).decode
_astuple: Final = msgspec.structs.astuple

_OPTIONAL: Final = (
    "logger_id",
    "seq",
    "temperature_c",
    "temperature_min_c",
    "temperature_max_c",
    "location",
    "lid_open",
    "tilt_deg",
    "shock_g",
    "battery_pct",
    "ambient_c",
    "temperature",
)
"""The optional wire fields, in the order of the shape built in ``fast_telemetry``."""
_REQUIRED: Final = ("event_id", "shipment_id", "recorded_at")

_Shape: TypeAlias = tuple[SharedFieldsSet, bool]
"""The fields set, and whether the values need no more than copying (no ``temperature`` to
convert, no minimum and maximum temperature to compare)."""
_SHAPES: Final[dict[tuple[bool, ...], _Shape]] = {}
"""At most 2**12 shapes: which optional fields are left out (the last: whether ``temperature``
is left out or null)."""

_LAT_LON: Final = SharedFieldsSet(("lat", "lon"))
_LAT_LON_ACCURACY: Final = SharedFieldsSet(("lat", "lon", "accuracy_m"))


_ReadingDraft: Final = draft_class(TelemetryReading, *TelemetryReading.model_fields)
_LocationDraft: Final = draft_class(Location, *Location.model_fields)
"""Each draft sets its model's fields in field order (the model's ``__dict__`` order)."""


def _shape(unset: tuple[bool, ...]) -> _Shape:
    """The shape of a reading whose optional fields are ``UNSET`` as flagged in ``unset``."""
    given = {name for name, left_out in zip(_OPTIONAL, unset, strict=True) if not left_out}
    given.update(_REQUIRED)
    both_limits = {"temperature_min_c", "temperature_max_c"} <= given
    plain = not both_limits and "temperature" not in given
    if "temperature" in given:  # not a field of the reading: converted to temperature_c
        given.remove("temperature")
        given.add("temperature_c")
    shape = _SHAPES[unset] = (SharedFieldsSet(given), plain)
    return shape


def _round6(value: float) -> float:
    """``round(value, 6)`` for ``|value| <= 1e6``, without its decimal string round trip.

    ``round`` rounds the exact decimal value of ``value`` half to even, then takes the nearest
    float. ``value * 1e6`` is off the exact product by at most half an ulp; unless that is
    within two ulps of a half, the integer nearest to it is the one ``round`` finds (ties only
    occur when the product is exact, and both round them to even), and dividing that integer
    (below 2**53, so exact as a float) by ``1e6`` is the nearest float to the quotient. Near a
    half, and for zero (whose sign ``round`` keeps), ``round`` itself decides.
    """
    scaled = value * 1e6
    nearest = round(scaled)
    if nearest and 0.5 - abs(scaled - nearest) > abs(scaled) * _TWO_ULPS:
        return nearest / 1e6
    return round(value, 6)


def _celsius(temperature: _WireTemperature) -> float | None:
    """``temperature`` in °C as ``to_celsius`` gives it; ``None`` when out of range or unknown."""
    unit = temperature.unit
    if unit == "F":  # the common case, computed as to_celsius does
        celsius = _round6((temperature.value - 32.0) * 5.0 / 9.0)
    else:
        try:
            celsius = to_celsius(temperature.value, unit)
        except ValueError:
            return None
    return celsius if _ABSOLUTE_ZERO_C <= celsius <= 100.0 else None


def _normalise(values: dict[str, Any], recorded_at: Any, temperature: Any) -> bool:
    """Convert what the ``Timestamp`` field and the ``temperature`` input convert, and check
    the minimum against the maximum; ``False`` leaves the reading to full validation."""
    try:
        if type(recorded_at) is int:  # what coerce_timestamp does; OverflowError out of range
            values["recorded_at"] = _EPOCH + _MILLISECOND * recorded_at
        elif recorded_at.tzinfo is not UTC:
            values["recorded_at"] = coerce_timestamp(recorded_at)
    except Exception:  # naive, out of range ...: full validation reports it
        return False
    if temperature:  # a _WireTemperature: UNSET and None are false
        if values["temperature_c"] is not None:
            return False  # both forms: full validation compares them
        celsius = _celsius(temperature)
        if celsius is None:
            return False
        values["temperature_c"] = celsius
    low, high = values["temperature_min_c"], values["temperature_max_c"]
    return low is None or high is None or low <= high


def _valid_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def fast_telemetry(payload: bytes, latest: datetime | None = None) -> TelemetryReading | None:
    """The reading in plain, valid JSON ``payload``; ``None`` means "validate it the full way".

    ``latest`` (aware), if given, declines a reading recorded after it: the caller's limit for
    future timestamps, checked here where the time is at hand.

    A payload that escapes NUL (``\\u0000``) is not plain (the caller rejects it), nor is one
    that is not UTF-8 (msgspec does not read the text of the unknown fields it skips).
    Written flat, with few bytecodes on the common path: this runs once per reading.
    """
    if (_BACKSLASH in payload and b"\\u0000" in payload) or (
        not payload.isascii() and not _valid_utf8(payload)
    ):
        return None
    try:
        given = _astuple(_DECODE(payload))
    except msgspec.DecodeError:
        return None
    (
        event_id,
        shipment_id,
        logger_id,
        seq,
        recorded_at,
        temperature_c,
        low,
        high,
        location,
        lid_open,
        tilt_deg,
        shock_g,
        battery_pct,
        ambient_c,
        temperature,
    ) = given
    unset = UNSET
    kinds = (
        logger_id is unset,
        seq is unset,
        temperature_c is unset,
        low is unset,
        high is unset,
        location is unset,
        lid_open is unset,
        tilt_deg is unset,
        shock_g is unset,
        battery_pct is unset,
        ambient_c is unset,
        not temperature,  # a _WireTemperature is true; UNSET and None are false
    )
    try:
        fields_set, plain = _SHAPES[kinds]
    except KeyError:
        fields_set, plain = _shape(kinds)
    if location:  # a _WireLocation: UNSET and None are false
        accuracy_m = location.accuracy_m
        place: Any = _LocationDraft()
        place.lat = location.lat
        place.lon = location.lon
        if accuracy_m is unset:
            place.accuracy_m = None
            place.__pydantic_fields_set__ = _LAT_LON
        else:
            place.accuracy_m = accuracy_m
            place.__pydantic_fields_set__ = _LAT_LON_ACCURACY
        place.__pydantic_extra__ = None
        place.__pydantic_private__ = None
        place.__class__ = Location
        location = place
    reading: Any = _ReadingDraft()  # the fields in the model's order; left out: None
    reading.event_id = event_id
    reading.shipment_id = shipment_id
    reading.logger_id = None if logger_id is unset else logger_id
    reading.seq = None if seq is unset else seq
    reading.recorded_at = recorded_at
    reading.temperature_c = None if temperature_c is unset else temperature_c
    reading.temperature_min_c = None if low is unset else low
    reading.temperature_max_c = None if high is unset else high
    reading.location = None if location is unset else location
    reading.lid_open = None if lid_open is unset else lid_open
    reading.tilt_deg = None if tilt_deg is unset else tilt_deg
    reading.shock_g = None if shock_g is unset else shock_g
    reading.battery_pct = None if battery_pct is unset else battery_pct
    reading.ambient_c = None if ambient_c is unset else ambient_c
    if not plain or type(recorded_at) is not datetime or recorded_at.tzinfo is not UTC:
        values = reading.__dict__
        if not _normalise(values, recorded_at, temperature):
            return None
        recorded_at = values["recorded_at"]
    if latest is not None and recorded_at > latest:
        return None  # after the caller's limit: full decoding reports it
    reading.__pydantic_fields_set__ = fields_set
    reading.__pydantic_extra__ = None
    reading.__pydantic_private__ = None
    reading.__class__ = TelemetryReading
    return reading  # type: ignore[no-any-return] # a TelemetryReading since the line above
