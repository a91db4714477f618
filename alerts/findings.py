"""Finding: an alert as the rules derive it, before ids, versions and enrichment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "Finding", "Point"]

Point = tuple[float, float]
"""A (lat, lon) pair."""

SEVERITIES: dict[str, str] = {
    "temperature_excursion": "critical",
    "temperature_warning": "warning",
    "out_of_range_budget": "critical",
    "lid_open": "warning",
    "shock": "warning",
    "tilt": "warning",
    "low_battery": "warning",
    "logger_silent": "warning",
    "sequence_gap": "info",
    "max_transit_exceeded": "critical",
    "late_delivery_risk": "warning",
    "hold_time_risk": "critical",
    "dwell_exceeded": "warning",
    "coi_mismatch": "critical",
    "custody_gap": "critical",
    "non_conformant_receipt": "critical",
}
"""Severity of every alert type the rules raise (design.md "Alerts"); a finding whose
``details`` carry a ``severity`` (``late_delivery_risk``: critical once the median ETA is
late) overrides it."""


@dataclass(slots=True)
class Finding:
    """One derived alert episode; times are epoch seconds of the events' own times.

    ``anchor`` identifies the episode within its type (e.g. the band and the time it
    opened); the lifecycle maps ``(type, anchor)`` to a stable ``alert_id``.
    """

    type: str
    anchor: str
    opened_at: float
    updated_at: float
    resolved_at: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    location: Point | None = None
    raised_at: float | None = None
    """When the alert condition was first met (after any delay); None means ``opened_at``."""

    @property
    def raised(self) -> float:
        """``raised_at`` or, when not set, ``opened_at``."""
        return self.opened_at if self.raised_at is None else self.raised_at

    @property
    def key(self) -> str:
        """``type|anchor``: unique among the findings of one shipment."""
        return f"{self.type}|{self.anchor}"

    @property
    def end(self) -> float:
        """The end of the episode's span, for overlap matching (open: unbounded)."""
        return float("inf") if self.resolved_at is None else self.resolved_at

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        loc = None if self.location is None else list(self.location)
        return [
            self.type,
            self.anchor,
            self.opened_at,
            self.updated_at,
            self.resolved_at,
            self.details,
            loc,
            self.raised_at,
        ]

    @classmethod
    def from_list(cls, data: list[Any]) -> Finding:
        """Inverse of ``to_list``."""
        loc = None if data[6] is None else (float(data[6][0]), float(data[6][1]))
        raised = data[7] if len(data) > 7 else None
        return cls(data[0], data[1], data[2], data[3], data[4], dict(data[5]), loc, raised)
