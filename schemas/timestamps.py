"""Parsing and formatting of wire timestamps (RFC 3339 with offset, or epoch milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "NAIVE_TIMESTAMP",
    "Timestamp",
    "coerce_timestamp",
    "format_timestamp",
    "parse_timestamp",
]

NAIVE_TIMESTAMP = "naive_timestamp"
"""Error type reported (by pydantic and as a dead-letter reason) for a timestamp without zone."""

_MIN_EPOCH_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
_MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_epoch_ms(value: int | float) -> datetime:
    if not _MIN_EPOCH_MS <= value <= _MAX_EPOCH_MS:
        raise PydanticCustomError("timestamp_range", "epoch milliseconds out of range")
    return _EPOCH + timedelta(milliseconds=value)


def _from_text(value: str) -> datetime:
    try:
        parsed = msgspec.convert(value, datetime)
    except msgspec.ValidationError:
        raise PydanticCustomError(
            "timestamp_format", "timestamp must be RFC 3339 with an offset, or epoch milliseconds"
        ) from None
    if parsed.tzinfo is None:
        raise PydanticCustomError(NAIVE_TIMESTAMP, "timestamp has no time zone offset")
    return parsed if parsed.tzinfo is UTC else _shift_to_utc(parsed)


def _shift_to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("timestamp_range", "timestamp out of range in UTC") from None


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(NAIVE_TIMESTAMP, "timestamp has no time zone offset")
    if value.tzinfo is UTC:
        return value
    return _shift_to_utc(value)


def _coerce(value: Any) -> Any:
    """Turn wire forms into an aware UTC datetime; anything else fails."""
    kind = type(value)
    if kind is str:
        return _from_text(value)
    if kind is int or kind is float:
        return _from_epoch_ms(value)
    if isinstance(value, datetime):
        return value
    raise PydanticCustomError(
        "timestamp_type", "timestamp must be an RFC 3339 string or integer epoch milliseconds"
    )


def coerce_timestamp(value: Any) -> datetime:
    """What the ``Timestamp`` field does: an aware UTC datetime or ``PydanticCustomError``."""
    return _to_utc(_coerce(value))


def parse_timestamp(value: str | int | float | datetime) -> datetime:
    """Parse a wire timestamp into an aware UTC datetime.

    Raises ``ValueError`` for a malformed value or one without a time zone.
    """
    try:
        coerced = _coerce(value)
        return _to_utc(coerced)
    except PydanticCustomError as exc:
        raise ValueError(exc.message()) from None


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with a ``Z`` suffix."""
    text = _to_utc(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


Timestamp = Annotated[
    datetime,
    BeforeValidator(_coerce),
    AfterValidator(_to_utc),
    PlainSerializer(format_timestamp, return_type=str, when_used="json-unless-none"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "integer", "description": "epoch milliseconds"},
            ]
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
"""Aware UTC datetime field: accepts RFC 3339 with offset or epoch ms, dumps as ``...Z``."""
