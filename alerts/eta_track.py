"""Track: the recent GPS fixes and tilted time of one shipment, as the ETA rules need them."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["EARTH_RADIUS_KM", "Fix", "Track", "haversine_km", "lat_span_deg"]

EARTH_RADIUS_KM = 6371.0088

Fix = tuple[float, float, float]
"""``(epoch_s, lat, lon)`` of one reading's location."""


_HALF_RAD = math.pi / 360.0
_RAD = math.pi / 180.0


@lru_cache(maxsize=1 << 16)
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres (memoised: the same recent
    fixes are measured again at every refresh)."""
    a = (
        _sin((lat2 - lat1) * _HALF_RAD) ** 2
        + _cos(lat1 * _RAD) * _cos(lat2 * _RAD) * _sin((lon2 - lon1) * _HALF_RAD) ** 2
    )
    return 2 * EARTH_RADIUS_KM * _asin(min(1.0, _sqrt(a)))


_sin, _cos, _asin, _sqrt = math.sin, math.cos, math.asin, math.sqrt


@lru_cache(maxsize=64)
def lat_span_deg(km: float) -> float:
    """A latitude difference (degrees) past which two points are certainly more than ``km``
    apart: a great circle is never shorter than its latitude arc, and ``haversine_km``'s
    rounding (relative 1e-15) stays far inside the 1e-9 margin. It lets a scan skip the
    distance of points that cannot be near without changing any comparison's outcome."""
    return km / (EARTH_RADIUS_KM * _RAD) * (1 + 1e-9) + 1e-12


@dataclass(slots=True)
class Track:
    """What the readings told about movement and orientation, bounded in size.

    - ``fixes``: the newest ``max_fixes`` locations, sorted by time (a late fix older than
      all kept ones is dropped: it cannot change the current position or pace).
    - ``first_t`` / ``last_t``: the oldest and newest reading times seen.
    - ``tilted_s``: time tilted past the angle, each tilted reading held until the next
      in-order reading (at most ``tilt_max_gap_s``); late readings do not change it.
    """

    fixes: list[Fix] = field(default_factory=list)
    first_t: float | None = None
    last_t: float | None = None
    last_tilted: bool = False
    tilted_s: float = 0.0

    def observe(
        self,
        t: float,
        lat: float | None,
        lon: float | None,
        tilt_deg: float | None,
        *,
        tilt_limit_deg: float,
        tilt_max_gap_s: float,
        max_fixes: int,
    ) -> None:
        """Take one reading's time, location and tilt into account."""
        if self.first_t is None or t < self.first_t:
            self.first_t = t
        if self.last_t is None or t > self.last_t:
            if self.last_t is not None and self.last_tilted:
                self.tilted_s += min(t - self.last_t, tilt_max_gap_s)
            self.last_t = t
            self.last_tilted = tilt_deg is not None and tilt_deg > tilt_limit_deg
        if lat is None or lon is None:
            return
        fixes = self.fixes
        if len(fixes) >= max_fixes and t <= fixes[0][0]:
            return
        at = bisect_left(fixes, t, key=lambda f: f[0])
        if at < len(fixes) and fixes[at][0] == t:
            return  # one fix per reading time
        fixes.insert(at, (t, lat, lon))
        if len(fixes) > max_fixes:
            del fixes[0]

    @property
    def newest(self) -> Fix | None:
        """The newest fix, if any."""
        return self.fixes[-1] if self.fixes else None

    def still_since(self, radius_km: float) -> float | None:
        """The time of the oldest fix of the newest run within ``radius_km`` of the newest fix."""
        if not self.fixes:
            return None
        t, lat, lon = self.fixes[-1]
        since = t
        for ft, flat, flon in reversed(self.fixes[:-1]):
            if haversine_km(flat, flon, lat, lon) > radius_km:
                break
            since = ft
        return since

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form (the fixes stay tuples: orjson writes them as the same arrays)."""
        return {
            "fixes": self.fixes[:],
            "first_t": self.first_t,
            "last_t": self.last_t,
            "last_tilted": self.last_tilted,
            "tilted_s": self.tilted_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        """Inverse of ``to_dict``."""
        return cls(
            [(float(f[0]), float(f[1]), float(f[2])) for f in data["fixes"]],
            data["first_t"],
            data["last_t"],
            bool(data["last_tilted"]),
            float(data["tilted_s"]),
        )
