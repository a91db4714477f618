"""CompactReading: the slim, sortable, JSON-friendly form of a telemetry reading kept in state."""

from __future__ import annotations

from typing import Any, NamedTuple

from schemas.telemetry import TelemetryReading

__all__ = ["CompactReading", "compact"]


class CompactReading(NamedTuple):
    """The fields the rules use; ``t`` is ``recorded_at`` in epoch seconds.

    Readings sort by ``(t, event_id)``, which is the order every rule folds them in.
    """

    t: float
    event_id: str
    logger_id: str | None
    seq: int | None
    temp: float | None
    temp_min: float | None
    temp_max: float | None
    lat: float | None
    lon: float | None
    lid_open: bool | None
    tilt_deg: float | None
    shock_g: float | None
    battery_pct: float | None

    @property
    def sort_key(self) -> tuple[float, str]:
        """Position in event time; ties broken by event id so the order is total."""
        return (self.t, self.event_id)

    @classmethod
    def from_list(cls, data: list[Any]) -> CompactReading:
        """Inverse of JSON-dumping the tuple (``ValueError`` for another number of fields)."""
        if len(data) != len(cls._fields):
            raise ValueError(f"a stored reading holds {len(data)} fields, not {len(cls._fields)}")
        return cls._make(data)


def compact(reading: TelemetryReading) -> CompactReading:
    """The compact form of a decoded reading, holding the reading's own values.

    Its logger id is not interned nor its floats shared through a table of kept values any
    more (session 4 did, when the history kept every reading as a tuple): the history's tail
    holds readings only until the next checkpoint encodes them (``History.stored_form``), and
    the lookups cost 1.2-2.1 µs a reading, 3-6 % of ``process_batch`` (docs/benchmarks.md,
    session 40)."""
    loc = reading.location
    return CompactReading(
        reading.recorded_at.timestamp(),
        reading.event_id,
        reading.logger_id,
        reading.seq,
        reading.temperature_c,
        reading.temperature_min_c,
        reading.temperature_max_c,
        None if loc is None else loc.lat,
        None if loc is None else loc.lon,
        reading.lid_open,
        reading.tilt_deg,
        reading.shock_g,
        reading.battery_pct,
    )
