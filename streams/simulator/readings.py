"""What a simulated logger records: one reading, and what was done to a shipment's readings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.profiles import BUILTIN_PROFILES, ProductProfile
from streams.simulator.fleet import Shipment


@dataclass
class Reading:
    """One logger reading, what it says and when it reached the platform."""

    seq: int
    at: int  # when it was really taken
    stamped_at: int  # what the logger's clock wrote (later than `at` under clock skew)
    received_at: int
    temperature_c: float  # as the decoder will see it after unit conversion
    lat: float | None
    lon: float | None
    lid_open: bool
    tilt_deg: float
    shock_g: float
    battery_pct: float
    ambient_c: float
    accuracy_m: int
    lost: bool = False  # never delivered
    burst: bool = False  # uploaded late, with others, after an outage or a flight
    late: bool = False  # delivered after a reading taken after it
    duplicates: list[int] = field(default_factory=list)  # received_at of re-uploads

    @property
    def skewed(self) -> bool:
        return self.stamped_at != self.at


@dataclass
class Injection:
    """What was done to a shipment's readings, for the truth file."""

    kind: str
    start: int
    end: int
    detail: dict[str, Any] = field(default_factory=dict)


def profile_of(shipment: Shipment) -> ProductProfile:
    """The effective profile: the named built-in with the manifest's inline fields over it."""
    base = BUILTIN_PROFILES[shipment.profile]
    if not shipment.profile_overrides:
        return base
    return ProductProfile.model_validate({**base.model_dump(), **shipment.profile_overrides})
