"""Simulation time: integer epoch milliseconds and their RFC 3339 rendering."""

from __future__ import annotations

from datetime import UTC, datetime

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

DEFAULT_START = datetime(2026, 11, 30, tzinfo=UTC)
"""A fixed Monday, so a run without `--start` is reproducible."""


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return round(moment.timestamp() * 1000)


def rfc3339(ms: int) -> str:
    """`2026-11-30T08:00:00Z`, with milliseconds only when they are not zero."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if ms % SECOND:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % SECOND:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to(ms: int, step_ms: int) -> int:
    """Round down to a multiple of `step_ms`."""
    return ms - ms % step_ms
