"""CompactReading: the slim, sortable, JSON-friendly form of a telemetry reading kept in state."""

from __future__ import annotations

from sys import intern
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
        """Inverse of JSON-dumping the tuple (strings and values shared, as in ``compact``)."""
        t, event_id, logger_id, seq, temp, low, high, lat, lon, lid, tilt, shock, battery = data
        return cls(
            t,
            event_id,
            None if logger_id is None else intern(logger_id),
            seq,
            _shared(temp),
            _shared(low),
            _shared(high),
            _shared(lat),
            _shared(lon),
            lid,
            _shared(tilt),
            _shared(shock),
            _shared(battery),
        )


_VALUES: dict[float, float] = {}
"""One float object per value seen lately, for ``_shared``."""
_VALUES_MAX = 1 << 16


def _shared(value: Any) -> Any:
    """The one kept float equal to ``value`` (readings repeat temperatures, battery levels and,
    while stationary, positions: each kept reading would hold its own 24-byte copy otherwise).
    Only floats (``90`` and ``90.0`` are equal keys but encode differently) and never zero
    (``-0.0 == 0.0`` too); the table is cleared when full, so it stays bounded."""
    if type(value) is not float or not value:
        return value
    kept = _VALUES.get(value)
    if kept is None:
        if len(_VALUES) >= _VALUES_MAX:
            _VALUES.clear()
        _VALUES[value] = kept = value
    return kept


def compact(reading: TelemetryReading) -> CompactReading:
    """The compact form of a decoded reading. Its logger id is interned (every reading of a
    shipment repeats it) and its measured values are ``_shared``: one object per distinct
    value instead of one per kept reading."""
    loc = reading.location
    logger_id = reading.logger_id
    low = reading.temperature_min_c
    high = reading.temperature_max_c
    tilt = reading.tilt_deg
    shock = reading.shock_g
    return CompactReading(
        reading.recorded_at.timestamp(),
        reading.event_id,
        None if logger_id is None else intern(logger_id),
        reading.seq,
        _shared(reading.temperature_c),
        low if low is None else _shared(low),
        high if high is None else _shared(high),
        None if loc is None else _shared(loc.lat),
        None if loc is None else _shared(loc.lon),
        reading.lid_open,
        tilt if tilt is None else _shared(tilt),
        shock if shock is None else _shared(shock),
        _shared(reading.battery_pct),
    )
