"""Wire timestamps: RFC 3339 with offset or epoch milliseconds, naive rejected, Z on output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from schemas.timestamps import format_timestamp, parse_timestamp

EXPECTED = datetime(2026, 11, 29, 21, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-29T21:10:00Z",
        "2026-11-29T21:10:00+00:00",
        "2026-11-29T22:10:00+01:00",
        "2026-11-29T16:10:00-05:00",
        "2026-11-29t21:10:00z",
        "2026-11-29 21:10:00Z",
    ],
)
def test_rfc3339_forms_with_offset_parse_to_the_same_utc_instant(text: str) -> None:
    parsed = parse_timestamp(text)
    assert parsed == EXPECTED
    assert parsed.tzinfo is UTC


def test_epoch_milliseconds_integer_is_exact() -> None:
    millis = int(EXPECTED.timestamp() * 1000) + 123
    assert parse_timestamp(millis) == EXPECTED + timedelta(milliseconds=123)


def test_fraction_beyond_microseconds_is_rounded_to_microseconds() -> None:
    parsed = parse_timestamp("2026-11-29T21:10:00.1234567Z")
    assert parsed.microsecond == 123457


def test_aware_datetime_is_converted_to_utc() -> None:
    eastern = EXPECTED.astimezone(timezone(timedelta(hours=-5)))
    assert parse_timestamp(eastern).tzinfo is UTC
    assert parse_timestamp(eastern) == EXPECTED


@pytest.mark.parametrize(
    "value", ["2026-11-29T21:10:00", datetime(2026, 11, 29, 21, 10)], ids=["text", "datetime"]
)
def test_naive_timestamp_is_rejected(value: str | datetime) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        parse_timestamp(value)


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-29",
        "2026-13-01T00:00:00Z",
        "2026-W48-6T21:10:00Z",
        "yesterday",
        "",
        "0001-01-01T00:00:00+01:00",
        10**20,
        float("nan"),
        True,
    ],
)
def test_malformed_or_out_of_range_timestamp_is_rejected(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)  # type: ignore[arg-type]


def test_format_uses_z_suffix_and_utc() -> None:
    plus_two = EXPECTED.astimezone(timezone(timedelta(hours=2)))
    assert format_timestamp(plus_two) == "2026-11-29T21:10:00Z"
    assert format_timestamp(EXPECTED + timedelta(microseconds=5)) == "2026-11-29T21:10:00.000005Z"


def test_format_then_parse_is_identity() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert parse_timestamp(format_timestamp(moment)) == moment
