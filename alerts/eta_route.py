"""Route estimate: where a shipment is on its legs and when it should arrive (p50 and p90)."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from alerts.custody_checks import CompactCustody
from alerts.eta_config import EtaConfig
from alerts.eta_track import Fix, Track, haversine_km
from alerts.manifest_cache import PerManifest
from schemas.manifest import ShipmentManifest

__all__ = ["ARRIVAL_STEPS", "Dwell", "Estimate", "estimate"]

ARRIVAL_STEPS = frozenset({"arriving", "accepting", "receiving", "inspecting", "storing"})
"""Custody steps that show the shipment at a leg's ``to_site``."""

_H: Final = 3600.0
SPEED_WINDOW = 10
"""Fixes the smoothed speed looks back over (older pairs weigh under 0.5 ** 9 with the
default smoothing)."""


def _larger(a: float, b: float) -> float:
    """``max(a, b)`` of two floats: ``b`` only if greater, as the builtin decides (so NaN and
    signed zeros come out the same), but compiled, a call on doubles where the builtin is a
    Python call on boxed floats. The estimator's hot paths use it, and ``math.pow(x, 2.0)``
    for ``x ** 2`` (the same C ``pow``), for the same reason."""
    return b if b > a else a


@dataclass(frozen=True, slots=True)
class _Leg:
    mode: str
    from_site: str
    to_site: str
    dep: float | None
    arr: float | None
    lane: str = field(init=False)
    """``"FROM_SITE>TO_SITE"``: the key of ``EtaConfig.lane_detour``."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lane", f"{self.from_site}>{self.to_site}")

    @property
    def planned_s(self) -> float | None:
        return None if self.dep is None or self.arr is None else self.arr - self.dep


@dataclass(frozen=True, slots=True)
class Dwell:
    """The shipment waiting at a site for its next leg."""

    leg: int
    """Index of the leg it waits for."""
    site_id: str
    since: float
    norm_until: float
    """When the dwell exceeds its norm (scheduled or typical departure + grace)."""


@dataclass(init=False, slots=True)
class Estimate:
    """The ETA window and what it was built from (epoch seconds)."""

    p50: float
    p90: float
    phase: str
    """``origin`` | ``road`` | ``stopped`` | ``transfer`` | ``air`` | ``arrived``."""
    leg: int
    remaining_km: float | None
    speed_kmh: float | None
    arrived_at: float | None
    dwell: Dwell | None
    departures: dict[int, float]
    """Observed departure time of each leg that has left."""
    details: dict[str, Any]

    # written out, not generated: compiled (``alerts.compiled``) a dataclass's generated
    # ``__init__`` still runs as Python, and one is made per estimate
    def __init__(
        self,
        p50: float,
        p90: float,
        phase: str,
        leg: int,
        remaining_km: float | None = None,
        speed_kmh: float | None = None,
        arrived_at: float | None = None,
        dwell: Dwell | None = None,
        departures: dict[int, float] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.p50 = p50
        self.p90 = p90
        self.phase = phase
        self.leg = leg
        self.remaining_km = remaining_km
        self.speed_kmh = speed_kmh
        self.arrived_at = arrived_at
        self.dwell = dwell
        self.departures = {} if departures is None else departures
        self.details = {} if details is None else details


def estimate(
    manifest: ShipmentManifest,
    track: Track,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
) -> Estimate:
    """The ETA window at ``now`` (the newest event time known), from everything seen so far."""
    return _Estimator(manifest, track, custody, config, now).run()


@dataclass(frozen=True, slots=True)
class _Plan:
    """A manifest's site coordinates and legs (a class, not a tuple: compiled, see
    ``alerts.compiled``, a tuple would be built anew each time it is returned)."""

    coords: dict[str, tuple[float, float]]
    legs: list[_Leg]


def _plan(manifest: ShipmentManifest) -> _Plan:
    """Site coordinates and legs of a manifest (cached per manifest: not per-event work), one
    plan shared by every manifest of the same route (``_ROUTES``)."""
    cached = _PLANS.get(manifest)
    if cached is not None:
        return cached
    origin, destination = manifest.origin, manifest.destination
    route = (
        origin.site_id,
        origin.lat,
        origin.lon,
        destination.site_id,
        destination.lat,
        destination.lon,
        tuple(
            (
                leg.mode,
                leg.from_site,
                leg.to_site,
                leg.scheduled_departure.timestamp(),
                leg.scheduled_arrival.timestamp(),
            )
            for leg in manifest.legs
        ),
    )
    plan = _ROUTES.get(route)
    if plan is None:
        coords = {
            origin.site_id: (origin.lat, origin.lon),
            destination.site_id: (destination.lat, destination.lon),
        }
        legs = [_Leg(*leg) for leg in route[6]] or [
            _Leg("road", origin.site_id, destination.site_id, None, None)
        ]
        plan = _Plan(coords, legs)
        if len(_ROUTES) >= ROUTES_SHARED:
            _ROUTES.clear()
        _ROUTES[route] = plan
    return _PLANS.put(manifest, plan)


ROUTES_SHARED = 4_096
"""Routes whose plans are shared at most: past it the shared plans are let go of, and a
route's next manifest plans it again (as good a plan, shared from then on). A route is its
sites' ids and coordinates and its legs; most shipments of a fleet run the same few hub and
hospital pairs, and a plan per manifest took 763 bytes a shipment
(``benchmarks/bench_state_memory.py``)."""

_ROUTES: dict[tuple[Any, ...], _Plan] = {}
"""The shared plans by route; a plan is never changed once made, so manifests can share it."""

_PLANS: PerManifest[_Plan] = PerManifest("route_plan")


class _Estimator:
    def __init__(
        self,
        manifest: ShipmentManifest,
        track: Track,
        custody: Sequence[CompactCustody],
        config: EtaConfig,
        now: float,
    ) -> None:
        self.m = manifest
        self.track = track
        self.c = config
        self.now = now
        plan = _plan(manifest)
        self.coords, self.legs = plan.coords, plan.legs
        self.custody = custody
        self.var = 0.0
        self.extra90 = 0.0

    # -- milestones ----------------------------------------------------------------------------

    def _arrivals(self) -> dict[int, float]:
        """Leg index -> first time the shipment was seen at that leg's ``to_site``."""
        if self.custody:
            return self._scanned_arrivals()
        ts = self.track.ts
        if not ts:
            return {}
        # no custody scans at all: the first fix at the destination after leaving the origin
        near = self.c.stationary_radius_km
        from_origin = self.track.km_to(*self.coords[self.m.origin.site_id])
        left = 0
        while left < len(ts) and from_origin[left] <= near:
            left += 1
        to_dest = self.track.km_to(*self.coords[self.m.destination.site_id])
        if left == len(ts) or min(to_dest[left:]) > near:  # one pass in C: nearly always
            return {}
        there = next(i for i in range(left, len(ts)) if to_dest[i] <= near)
        return {len(self.legs) - 1: ts[there]}

    def _scanned_arrivals(self) -> dict[int, float]:
        """``_arrivals`` from the custody scans."""
        departed = next((e.t for e in self.custody if e.step == "departing"), None)
        first_at: dict[str, float] = {}
        for e in self.custody:  # sorted by time: the first scan at each site
            if e.step in ARRIVAL_STEPS and (departed is None or e.t >= departed):
                for site in (e.site_id, e.to_id):
                    if site is not None and site not in first_at:
                        first_at[site] = e.t
        return {
            i: first_at[leg.to_site] for i, leg in enumerate(self.legs) if leg.to_site in first_at
        }

    def _origin_departure(self) -> float | None:
        scan = next((e.t for e in self.custody if e.step == "departing"), None)
        by_scan = None if scan is None else scan + self.c.departing_scan_lead_s
        if by_scan is not None:
            return by_scan
        ts = self.track.ts
        if not ts:
            return None
        from_origin = self.track.km_to(*self.coords[self.m.origin.site_id])
        radius = self.c.site_radius_km
        if from_origin[-1] <= radius:
            return None  # (still) at the origin
        for i, km in enumerate(from_origin):
            if km > radius:
                # left between the last fix at the site and this one
                return ts[i] if i == 0 else (ts[i - 1] + ts[i]) / 2
        return None

    def _first_away(self, since: float) -> float | None:
        """The first fix after ``since`` away from where the shipment was at ``since``."""
        first = bisect_left(self.track.ts, since)
        away = self._left_site(first)
        return None if away is None else self.track.ts[away]

    def _left_site(self, first: int) -> int | None:
        """The first fix after fix ``first`` away from it (None: no fix from ``first`` on,
        or the newest fix is still there)."""
        track = self.track
        ts, lats, lons = track.ts, track.lats, track.lons
        if first == len(ts):
            return None
        site_lat, site_lon = lats[first], lons[first]
        radius = self.c.site_radius_km
        if haversine_km(lats[-1], lons[-1], site_lat, site_lon) <= radius:
            return None
        for i in range(first + 1, len(ts)):
            if haversine_km(lats[i], lons[i], site_lat, site_lon) > radius:
                return i
        return None

    def _airborne(self, since: float, leg: _Leg) -> float | None:
        """When the shipment took off on air ``leg``, if readings say it is flying.

        Loggers go to flight mode in the air: readings without a fix after the scheduled
        departure, the newest fix being older, mean airborne: since the newest fix, but not
        before the flight's scheduled departure (plus the usual slip), nor after now.
        """
        last = self.track.last_t
        if last is None or last <= since or leg.dep is None or last < leg.dep:
            return None
        newest = self.track.newest
        if newest is not None and newest[0] >= last:
            return None  # the newest reading has a fix: still on the ground
        took_off = max(since, leg.dep + self.c.departure_slip_s)
        if newest is not None:
            took_off = max(took_off, newest[0])
        return min(took_off, last)

    def _transfer_departure(self, since: float) -> tuple[float | None, Fix | None]:
        """When the shipment left the site it reached at ``since`` (by fixes), and where that
        site is (the first fix there)."""
        ts = self.track.ts
        first = bisect_left(ts, since)
        if first == len(ts):
            return None, None
        away = self._left_site(first)
        return (None if away is None else (ts[away - 1] + ts[away]) / 2), self.track.fix(first)

    # -- the estimate --------------------------------------------------------------------------

    def run(self) -> Estimate:
        c = self.c
        arrivals = self._arrivals()
        last = len(self.legs) - 1
        if last in arrivals:
            t = arrivals[last]
            return Estimate(t, t, "arrived", last, 0.0, None, arrived_at=t)
        k = max(arrivals) + 1 if arrivals else 0
        while 0 < k < last and self.legs[k].mode == "air":
            # loggers fix only on the ground: a fix away from the departure airport means
            # the flight has landed (its arrival scan may not be in yet)
            landed = self._first_away(arrivals[k - 1])
            if landed is None:
                break
            arrivals[k] = landed
            k += 1
        departures: dict[int, float] = {}
        anchor: Fix | None = None  # a known position of the site the shipment waits at
        if k == 0:
            dep = self._origin_departure()
            since = self._origin_since()
            site_id = self.m.origin.site_id
        else:
            since = arrivals[k - 1]
            dep, anchor = self._transfer_departure(since)
            site_id = self.legs[k - 1].to_site
        leg = self.legs[k]
        if leg.mode == "air" and (k > 0 or dep is None):
            dep = self._airborne(since, leg)
        dwell: Dwell | None = None
        if dep is not None and leg.mode == "air":
            departures[k] = dep
            phase, remaining_km, speed = "air", None, None
            t = self._after_departure(k, dep, None)
            if t < self.now:  # overdue: treat the overrun like a stop
                t = self._wait(t)
        elif dep is not None:
            departures[k] = dep
            t, phase, remaining_km, speed = self._on_road(k, dep, anchor)
        else:
            phase, remaining_km, speed = ("origin" if k == 0 else "transfer"), None, None
            expected = self._expected_departure(k, since)
            if k > 0 or self._fixed_at_origin():
                dwell = Dwell(k, site_id, since, expected + c.dwell_grace_s)
            t = self._wait(expected)
            t = self._after_departure(k, t, anchor)
        for j in range(k + 1, len(self.legs)):
            t = self._wait(self._expected_departure(j, t), waiting_now=False)
            t = self._after_departure(j, t, None)
        if remaining_km is None:
            remaining_km = self._crow_remaining()
        spread = c.p90_z * math.sqrt(self.var) + self.extra90
        return Estimate(
            p50=t,
            p90=t + spread,
            phase=phase,
            leg=k,
            remaining_km=remaining_km,
            speed_kmh=speed,
            dwell=dwell,
            departures=departures,
            details={"mode": leg.mode, "legs_left": len(self.legs) - k},
        )

    def _fixed_at_origin(self) -> bool:
        """Whether the newest fix places the shipment at its origin (a dwell there needs that
        evidence; a transfer site has its arrival scan)."""
        newest = self.track.newest
        origin = self.coords[self.m.origin.site_id]
        return (
            newest is not None
            and haversine_km(newest[1], newest[2], *origin) <= self.c.site_radius_km
        )

    def _origin_since(self) -> float:
        packing = next((e.t for e in self.custody if e.step == "packing"), None)
        times = [t for t in (packing, self.track.first_t) if t is not None]
        return min(times) if times else self.m.created_at.timestamp()

    def _expected_departure(self, j: int, ready: float) -> float:
        """Leg ``j`` leaves at its scheduled time, or a connection after ``ready``, plus slip."""
        leg = self.legs[j]
        earliest = ready + (self.c.min_connection_s if j > 0 else 0.0)
        if leg.dep is not None and leg.dep > earliest:
            # a scheduled departure with slack absorbs the spread of what came before it
            if self.var > 0.0:
                slack = (leg.dep - earliest) / math.sqrt(self.var)
                self.var *= 0.5 * math.erfc(slack / math.sqrt(2.0))
            earliest = leg.dep
        return earliest + self.c.departure_slip_s

    def _wait(self, expected: float, *, waiting_now: bool = True) -> float:
        """Departure time expected when the shipment waits for a leg expected at ``expected``.

        Past the expected time and still waiting, the overrun ``d`` is expected to go on for
        about ``d`` more (pessimistically several times ``d``).
        """
        c = self.c
        self.var += math.pow(c.departure_sd_s, 2.0)
        if not waiting_now or self.now <= expected:
            return expected
        overrun = self.now - expected
        p50_more = _larger(c.stop_p50_factor * overrun, 0.0)
        self.extra90 += _larger(c.stop_p90_factor * overrun - p50_more, 0.0)
        return self.now + p50_more

    def _after_departure(self, j: int, start: float, anchor: Fix | None) -> float:
        """Arrival at the end of leg ``j`` when it leaves at ``start``."""
        c = self.c
        leg = self.legs[j]
        if leg.mode == "air":
            planned = leg.planned_s if leg.planned_s is not None else 3 * _H
            self.var += math.pow(c.air_cv * planned, 2.0)
            return start + planned
        total_km = self._leg_km(j, anchor)
        if total_km is not None:
            drive = total_km / self._prior_speed(total_km) * _H
        elif leg.planned_s is not None:
            drive = leg.planned_s
        else:
            drive = _H
        self.var += math.pow(c.road_prior_cv * drive, 2.0)
        return start + drive

    def _on_road(
        self, k: int, dep: float, anchor: Fix | None
    ) -> tuple[float, str, float | None, float | None]:
        """Arrival at the end of road leg ``k``, which left at ``dep``."""
        c = self.c
        leg = self.legs[k]
        to = self.coords.get(leg.to_site)
        every = self.track.ts
        since_dep = bisect_left(every, dep)  # the first fix at or after ``dep``
        total_km = self._leg_km(k, anchor)
        if to is None or since_dep == len(every):
            if total_km is not None:
                drive = total_km / self._prior_speed(total_km) * _H
            elif leg.planned_s is not None:
                drive = leg.planned_s
            else:
                drive = _H
            arrival = dep + drive
            self.var += math.pow(c.road_prior_cv * drive, 2.0)
            if arrival < self.now:  # overdue: treat the overrun like a stop
                return self._wait(arrival), "road", None, None
            return arrival, "road", None, None
        detour = self._detour(leg)
        newest_t = every[-1]
        to_end = self.track.km_to(*to)
        newest_to_km = to_end[-1]
        remaining_km = newest_to_km * detour
        prior = self._prior_speed(total_km if total_km is not None else remaining_km)
        speed = prior
        moving_pairs = 0
        # the newest SPEED_WINDOW fixes since departure (and the one before, to tell whether
        # the first of them was moving); older pairs weigh next to nothing in the EWMA
        first = max(since_dep, len(every) - SPEED_WINDOW, 1) - 1
        still_km = c.stationary_radius_km
        weight = c.speed_smoothing
        keep = 1 - weight
        # the pace from each fix to the next, NaN for a pair not moving from start to end
        # (no standing time inside); kept with the track, so only a new fix's is measured
        for pace in self.track.paces(*to, detour, still_km)[first + 1 : len(every) - 1]:
            if pace == pace:  # not NaN (NOT_MOVING)
                speed = weight * (pace * _H) + keep * speed
                moving_pairs += 1
        speed = _larger(speed, prior * c.speed_floor_ratio)
        drive = remaining_km / speed * _H
        cv = c.road_cv if moving_pairs else c.road_prior_cv
        self.var += math.pow(cv * drive, 2.0)
        arrival = newest_t + drive
        phase = "road"
        still = self.track.still_since(c.stationary_radius_km)
        if still is not None:
            still = _larger(still, dep)
        at_end = newest_to_km <= c.stationary_radius_km
        if still is not None and newest_t - still >= c.stationary_min_s and not at_end:
            stopped = newest_t - still
            p50_more = _larger(_larger(c.stop_p50_factor * stopped, c.stop_min_s - stopped), 0.0)
            self.extra90 += _larger(c.stop_p90_factor * stopped - p50_more, 0.0)
            arrival += p50_more
            phase = "stopped"
        return _larger(arrival, self.now), phase, remaining_km, speed

    def _leg_km(self, j: int, anchor: Fix | None) -> float | None:
        leg = self.legs[j]
        start = self.coords.get(leg.from_site)
        if anchor is not None:
            start = (anchor[1], anchor[2])
        end = self.coords.get(leg.to_site)
        if start is None or end is None:
            return None
        return haversine_km(*start, *end) * self._detour(leg)

    def _detour(self, leg: _Leg) -> float:
        return self.c.lane_detour.get(leg.lane, self.c.detour_factor)

    def _prior_speed(self, leg_km: float) -> float:
        """The lane's default pace over a leg of ``leg_km`` road km, overhead included."""
        c = self.c
        hours = leg_km / c.road_speed_kmh + c.road_leg_overhead_s / _H
        return leg_km / hours if leg_km > 0 and hours > 0 else c.road_speed_kmh

    def _crow_remaining(self) -> float | None:
        dest = self.coords[self.m.destination.site_id]
        newest = self.track.newest
        lat, lon = (newest[1], newest[2]) if newest else self.coords[self.m.origin.site_id]
        return haversine_km(lat, lon, *dest)
