"""Episode tracking: a condition past a limit for a delay, held until the next reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.findings import Finding, Point

__all__ = ["Band", "EpisodeTracker"]


@dataclass(frozen=True, slots=True)
class Band:
    """One watched condition: a value past ``limit`` in ``direction`` for ``delay_s``.

    ``direction`` is +1 for an upper limit, -1 for a lower one. ``inclusive`` counts a value
    exactly at the limit as past it (shock: "at or above"). An open episode closes only at
    the first value back inside by ``margin`` (hysteresis); until then it continues, also
    while the value is inside the limit but within the margin.
    """

    type: str
    name: str
    field: str
    limit: float
    direction: int = 1
    inclusive: bool = False
    margin: float = 0.0
    delay_s: float = 0.0
    unit: str | None = None

    def breach(self, value: float) -> bool:
        """Is ``value`` past the limit?"""
        over = self.direction * (value - self.limit)
        return over > 0 or (self.inclusive and over == 0)

    def clear(self, value: float) -> bool:
        """Is ``value`` back inside by the margin (closes an episode)?"""
        return self.direction * (value - self.limit) <= -self.margin and not self.breach(value)

    def worse(self, value: float, than: float) -> bool:
        """Is ``value`` more extreme than ``than``?"""
        return self.direction * (value - than) > 0


@dataclass(slots=True)
class EpisodeTracker:
    """State of one band over readings folded in event-time order.

    An episode starts at the first reading past the limit (``opened_at``) and ends at the
    first reading back inside by the margin (``resolved_at``): the value is held until the
    next reading, so its duration is the difference of the two readings' times. It raises
    an alert once ``t - opened_at >= delay_s`` (at once for a zero delay), including at the
    closing reading when the run lasted long enough.
    """

    start: float | None = None
    peak: float = 0.0
    alerted: bool = False
    updated: float = 0.0
    location: Point | None = None
    raised: float = 0.0

    def step(
        self, band: Band, t: float, value: float, location: Point | None, extra: dict[str, Any]
    ) -> Finding | None:
        """Fold one value at time ``t``; the finding when the episode's alert changed."""
        start = self.start
        if start is None:
            if not band.breach(value):
                return None
            self.start, self.peak, self.updated, self.location = t, value, t, location
            self.alerted = band.delay_s <= 0
            self.raised = t
            return self._finding(band, None, extra) if self.alerted else None
        if band.clear(value):
            self.start = None
            if self.alerted or t - start >= band.delay_s:
                if not self.alerted:
                    self.raised = t
                self.updated = t
                return self._finding(band, t, extra, start)
            return None
        changed = False
        if band.breach(value) and band.worse(value, self.peak):
            self.peak = value
            changed = True
        if not self.alerted and t - start >= band.delay_s:
            self.alerted = True
            self.raised = t
            changed = True
        if changed and self.alerted:
            self.updated = t
            return self._finding(band, None, extra)
        return None

    def _finding(
        self, band: Band, resolved: float | None, extra: dict[str, Any], start: float | None = None
    ) -> Finding:
        opened = self.start if start is None else start
        assert opened is not None
        details: dict[str, Any] = {}
        if band.unit is not None:
            details[f"limit_{band.unit}"] = band.limit
            details[f"peak_{band.unit}"] = self.peak
        details["duration_s"] = self.updated - opened
        details.update(extra)
        return Finding(
            band.type,
            f"{band.name}@{opened:.3f}",
            opened,
            self.updated,
            resolved,
            details,
            self.location,
            self.raised,
        )

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        loc = None if self.location is None else list(self.location)
        return [self.start, self.peak, self.alerted, self.updated, loc, self.raised]

    @classmethod
    def from_list(cls, data: list[Any]) -> EpisodeTracker:
        """Inverse of ``to_list``."""
        loc = None if data[4] is None else (float(data[4][0]), float(data[4][1]))
        return cls(data[0], data[1], data[2], data[3], loc, data[5])
