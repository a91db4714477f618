"""Track: the recent GPS fixes and tilted time of one shipment, as the ETA rules need them."""

from __future__ import annotations

import hashlib
import itertools
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

__all__ = ["EARTH_RADIUS_KM", "NOT_MOVING", "Fix", "Track", "haversine_km"]

EARTH_RADIUS_KM: Final = 6371.0088

Fix = tuple[float, float, float]
"""``(epoch_s, lat, lon)`` of one reading's location."""


_HALF_RAD: Final = math.pi / 360.0
_RAD: Final = math.pi / 180.0


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres (haversine).

    Written for the compiled build: ``math.sin``, ``math.cos``, ``math.sqrt`` and
    ``math.pow`` called by name (mypyc calls C's own for them, on doubles; through a
    module-level alias each was a Python call on boxed floats, and each constant a lookup in
    the module's dict), ``math.pow(x, 2.0)`` where ``x ** 2`` was (the same C ``pow``, so the
    same bits), and the ``min`` spelled out. Only ``math.asin`` is still a Python call."""
    a = math.pow(math.sin((lat2 - lat1) * _HALF_RAD), 2.0) + math.cos(lat1 * _RAD) * math.cos(
        lat2 * _RAD
    ) * math.pow(math.sin((lon2 - lon1) * _HALF_RAD), 2.0)
    root = math.sqrt(a)
    return 2 * EARTH_RADIUS_KM * math.asin(root if root < 1.0 else 1.0)


haversine_km = lru_cache(maxsize=1 << 16)(_great_circle_km)
"""Great-circle distance between two points in kilometres, memoised (sites, and fixes a
stop or a transfer measures again). A track's ``_Distances`` measure each new fix once with
``_great_circle_km`` itself: those pairs are never asked for again, and past a few thousand
shipments the cache's misses, insertions and evictions cost more than the formula."""


_SITES_KEPT = 8
"""Sites a track keeps the distances of its fixes to (a trip's origin, stops and end)."""


_Pace = tuple[float, float, float, float]
"""What a track's paces are measured against: a site's ``(lat, lon)``, the lane's detour
factor and the radius within which a step is not moving."""

NOT_MOVING: Final = math.nan
"""The pace of a pair of fixes with standing time inside (NaN: kept in an ``array`` of
doubles, 8 bytes a pair instead of a list's pointer and float object, 32)."""


class _Distances:
    """Distances measured from a track's fixes, kept in step with them by ``observe`` (a fix
    appended is measured once; a fix inserted elsewhere drops them all, rebuilt when asked).
    ``haversine_km`` memoises too, but its cache holds 65,536 pairs: past about a thousand
    shipments their fixes no longer fit, and every estimate measured every fix again. So
    these are measured with the formula itself (``_great_circle_km``), bypassing that cache.
    The paces toward a site (``Track.paces``) are kept in step the same way."""

    __slots__ = ("last_t", "paces", "size", "steps", "to")

    def __init__(self, track: Track) -> None:
        lats, lons = track.lats, track.lons
        self.size = len(track.ts)
        self.last_t = track.ts[-1] if self.size else None
        self.steps = array(
            "d",
            [
                _great_circle_km(lats[i], lons[i], lats[i + 1], lons[i + 1])
                for i in range(self.size - 1)
            ],
        )
        self.to: dict[tuple[float, float], array[float]] = {}
        self.paces: dict[_Pace, array[float]] = {}

    def append(self, track: Track) -> None:
        """The newest fix of ``track`` was appended."""
        lat, lon = track.lats[-1], track.lons[-1]
        if self.size:
            self.steps.append(_great_circle_km(track.lats[-2], track.lons[-2], lat, lon))
        for (site_lat, site_lon), to in self.to.items():
            to.append(_great_circle_km(lat, lon, site_lat, site_lon))
        self.size += 1
        self.last_t = track.ts[-1]
        if self.size > 1:
            for key, paces in self.paces.items():
                paces.append(self.pace(track.ts, key, self.size - 2))

    def pace(self, ts: array[float], key: _Pace, i: int) -> float:
        """Road km per second made toward the site from fix ``i`` to fix ``i + 1``;
        ``NOT_MOVING`` unless both the step into fix ``i`` and the one out of it move (no
        standing time inside the pair) and time passed. The site's distances must be
        measured (``Track.km_to``)."""
        lat, lon, detour, still_km = key
        if i < 1:
            return NOT_MOVING
        dt = ts[i + 1] - ts[i]
        steps = self.steps
        if dt <= 0 or steps[i - 1] <= still_km or steps[i] <= still_km:
            return NOT_MOVING
        to = self.to[lat, lon]
        return (to[i] * detour - to[i + 1] * detour) / dt

    def drop_first(self) -> None:
        """The oldest fix was dropped."""
        if self.steps:
            del self.steps[0]
        for to in self.to.values():
            del to[0]
        for paces in self.paces.values():
            if paces:
                del paces[0]
            if paces:
                paces[0] = NOT_MOVING  # the new first fix has no step into it
        self.size -= 1


_STAMPS = itertools.count(1)
"""``Track.stamp``-s: a new number for every change of any track's fixes in the process."""


def _doubles() -> array[float]:
    return array("d")


@dataclass(slots=True)
class Track:
    """What the readings told about movement and orientation, bounded in size.

    - ``ts``, ``lats``, ``lons``: the newest ``max_fixes`` locations, sorted by time, one
      array of doubles each (8 bytes a value: as a list of ``Fix`` tuples they took about
      140 bytes a fix); ``fixes`` gives them as tuples. A late fix older than all kept ones
      is dropped: it cannot change the current position or pace.
    - ``first_t`` / ``last_t``: the oldest and newest reading times seen.
    - ``tilted_s``: time tilted past the angle, each tilted reading held until the next
      in-order reading (at most ``tilt_max_gap_s``); late readings do not change it.
    """

    ts: array[float] = field(default_factory=_doubles)
    lats: array[float] = field(default_factory=_doubles)
    lons: array[float] = field(default_factory=_doubles)
    first_t: float | None = None
    last_t: float | None = None
    last_tilted: bool = False
    tilted_s: float = 0.0
    near: _Distances | None = field(default=None, repr=False, compare=False)
    """Runtime: distances measured from the fixes (``steps_km``, ``km_to``), not stored."""
    stamp: int = field(default=0, repr=False, compare=False)
    """Runtime: the stamp of the fixes as they are, a number no other content of any track's
    fixes has (``_STAMPS``; 0: none asked for since they changed; ``observe`` drops it when
    they change, a ``copy`` keeps it). A number, not an object: one was made at every
    reading and left for the collector (docs/benchmarks.md, session 49)."""
    key: bytes | None = field(default=None, repr=False, compare=False)
    """Runtime: ``fixes_key`` once taken for the fixes as they are (None: not yet)."""

    @classmethod
    def of(
        cls,
        fixes: Iterable[Fix],
        first_t: float | None = None,
        last_t: float | None = None,
        last_tilted: bool = False,
        tilted_s: float = 0.0,
    ) -> Track:
        """A track of ``fixes`` (sorted by time, one per time)."""
        track = cls(first_t=first_t, last_t=last_t, last_tilted=last_tilted, tilted_s=tilted_s)
        for t, lat, lon in fixes:
            track.ts.append(t)
            track.lats.append(lat)
            track.lons.append(lon)
        return track

    def copy(self) -> Track:
        """An independent copy (without the runtime caches)."""
        return Track(
            array("d", self.ts),
            array("d", self.lats),
            array("d", self.lons),
            self.first_t,
            self.last_t,
            self.last_tilted,
            self.tilted_s,
            stamp=self.stamp,
            key=self.key,
        )

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
        ts = self.ts
        size = len(ts)
        if size >= max_fixes and t <= ts[0]:
            return
        if size and t > ts[-1]:
            at = size  # in order: nearly always
        else:
            at = bisect_left(ts, t)
            if at < size and ts[at] == t:
                return  # one fix per reading time
        appended = at == size
        self.stamp = 0
        self.key = None
        if appended:
            ts.append(t)
            self.lats.append(lat)
            self.lons.append(lon)
        else:
            ts.insert(at, t)
            self.lats.insert(at, lat)
            self.lons.insert(at, lon)
        near = self.near
        if near is not None:
            if appended and near.size == at:  # measured once, here
                near.append(self)
            else:
                self.near = near = None
        if size + 1 > max_fixes:
            del ts[0]
            del self.lats[0]
            del self.lons[0]
            if near is not None:
                near.drop_first()

    @property
    def fixes(self) -> list[Fix]:
        """The fixes as ``(t, lat, lon)`` tuples, oldest first (made on each call)."""
        return list(zip(self.ts, self.lats, self.lons, strict=True))

    def fix(self, i: int) -> Fix:
        """Fix ``i`` (negative: from the newest) as a tuple."""
        return (self.ts[i], self.lats[i], self.lons[i])

    @property
    def newest(self) -> Fix | None:
        """The newest fix, if any."""
        return (self.ts[-1], self.lats[-1], self.lons[-1]) if self.ts else None

    def fixes_key(self) -> bytes:
        """The SHA-256 of the fixes' doubles, equal for equal fixes (``alerts.eta._Known``):
        32 bytes where the doubles themselves took 576 (24 fixes), kept until the fixes
        change (a known estimate matching another track than its stamp's); the odds that
        other fixes give the same key are 2^-128."""
        key = self.key
        if key is None:  # taken at most once per change of the fixes (``observe`` drops it)
            digest = hashlib.sha256(self.ts)
            digest.update(self.lats)
            digest.update(self.lons)
            self.key = key = digest.digest()
        return key

    def fixes_stamp(self) -> int:
        """The stamp of the fixes as they are (numbered once per change of the fixes)."""
        stamp = self.stamp
        if stamp == 0:
            self.stamp = stamp = next(_STAMPS)
        return stamp

    def steps_km(self) -> array[float]:
        """``steps_km()[i]``: the distance from fix ``i`` to fix ``i + 1`` (kept with the
        fixes, so an estimate does not measure again what the previous one measured)."""
        return self._distances().steps

    def km_to(self, lat: float, lon: float) -> array[float]:
        """``km_to(lat, lon)[i]``: the distance from fix ``i`` to the point (a site)."""
        near = self._distances()
        to = near.to.get((lat, lon))
        if to is None:
            if len(near.to) >= _SITES_KEPT:
                near.to.clear()
                near.paces.clear()
            lats, lons = self.lats, self.lons
            to = near.to[lat, lon] = array(
                "d", [_great_circle_km(lats[i], lons[i], lat, lon) for i in range(len(lats))]
            )
        return to

    def paces(self, lat: float, lon: float, detour: float, still_km: float) -> array[float]:
        """``paces(...)[i]``: the road km per second made toward the point (a site) from fix
        ``i`` to fix ``i + 1`` with road km = ``detour`` x great-circle km, or ``NOT_MOVING``
        (NaN) when the step into fix ``i`` or out of it is within ``still_km`` (standing time
        inside the pair), or no time passed; ``[0]`` is ``NOT_MOVING`` (no step into the
        first fix). Kept with the fixes: an appended fix adds one pace."""
        near = self._distances()
        key = (lat, lon, detour, still_km)
        paces = near.paces.get(key)
        if paces is None:
            self.km_to(lat, lon)  # the distances the paces are measured from (dropped with them)
            if len(near.paces) >= _SITES_KEPT:
                near.paces.clear()
            ts = self.ts
            paces = near.paces[key] = array(
                "d", [near.pace(ts, key, i) for i in range(len(ts) - 1)]
            )
        return paces

    def _distances(self) -> _Distances:
        near, ts = self.near, self.ts
        if near is None or near.size != len(ts) or (ts and near.last_t != ts[-1]):
            self.near = near = _Distances(self)
        return near

    def still_since(self, radius_km: float) -> float | None:
        """The time of the oldest fix of the newest run within ``radius_km`` of the newest fix."""
        ts = self.ts
        if not ts:
            return None
        t, lat, lon = ts[-1], self.lats[-1], self.lons[-1]
        if len(ts) == 1 or self.steps_km()[-1] > radius_km:
            return t  # moving: the step to the newest fix is what is measured first below
        since = ts[-2]
        lats, lons = self.lats, self.lons
        for i in range(len(ts) - 3, -1, -1):
            if haversine_km(lats[i], lons[i], lat, lon) > radius_km:
                break
            since = ts[i]
        return since

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form: the fixes as ``(t, lat, lon)`` tuples (orjson writes them as
        arrays). Their JSON is not kept between checkpoints: kept in step with the fixes
        (each fix encoded once, at ``observe``) it made two texts of about 1 KB at every
        reading, which cost more than encoding 24 fixes at a checkpoint, every 12 or so
        readings of a shipment in the worker (docs/benchmarks.md, session 32)."""
        return {
            "fixes": self.fixes,
            "first_t": self.first_t,
            "last_t": self.last_t,
            "last_tilted": self.last_tilted,
            "tilted_s": self.tilted_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        """Inverse of ``to_dict``."""
        return cls.of(
            [(float(f[0]), float(f[1]), float(f[2])) for f in data["fixes"]],
            data["first_t"],
            data["last_t"],
            bool(data["last_tilted"]),
            float(data["tilted_s"]),
        )
