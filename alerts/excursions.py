"""Temperature rules: excursion and warning bands, cumulative time out of range and its budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alerts.episodes import Band
from alerts.findings import Finding
from schemas.profiles import ProductProfile

__all__ = ["OutOfRange", "temperature_bands"]

EXCURSION = "temperature_excursion"
WARNING = "temperature_warning"
BUDGET = "out_of_range_budget"


def temperature_bands(profile: ProductProfile) -> list[Band]:
    """The excursion (critical) and warning bands a profile defines.

    Upper bands watch a reading's ``temperature_max_c`` when it is an interval summary,
    else ``temperature_c``; lower bands watch ``temperature_min_c`` likewise.
    """
    bands: list[Band] = []
    margin = profile.hysteresis_c
    for kind, delay, upper, lower in (
        (EXCURSION, profile.alarm_delay_s, profile.upper_c, profile.lower_c),
        (WARNING, profile.warning_delay_s, profile.warning_upper_c, profile.warning_lower_c),
    ):
        if upper is not None:
            bands.append(Band(kind, "upper", "hi", upper, 1, False, margin, delay, "c"))
        if lower is not None:
            bands.append(Band(kind, "lower", "lo", lower, -1, False, margin, delay, "c"))
    return bands


@dataclass(slots=True)
class OutOfRange:
    """Cumulative time past ``upper_c``/``lower_c``, each value held until the next one.

    The budget never resets during a shipment; ``out_of_range_budget`` opens at the first
    reading at which the cumulative time reaches ``cumulative_budget_s`` and stays open.
    """

    total_s: float = 0.0
    previous_t: float | None = None
    previous_out: bool = False
    budget_reached: bool = False

    def step(self, t: float, out: bool, budget_s: float | None) -> Finding | None:
        """Fold a temperature-bearing reading at ``t``; the budget finding when first reached."""
        if self.previous_out and self.previous_t is not None:
            self.total_s += t - self.previous_t
        self.previous_t, self.previous_out = t, out
        if budget_s is None or self.budget_reached or self.total_s <= 0:
            return None
        if self.total_s < budget_s:
            return None
        self.budget_reached = True
        details: dict[str, Any] = {"budget_s": budget_s, "cumulative_out_of_range_s": self.total_s}
        return Finding(BUDGET, "budget", t, t, None, details)

    def to_list(self) -> list[Any]:
        """Compact JSON form."""
        return [self.total_s, self.previous_t, self.previous_out, self.budget_reached]

    @classmethod
    def from_list(cls, data: list[Any]) -> OutOfRange:
        """Inverse of ``to_list``."""
        return cls(*data)
