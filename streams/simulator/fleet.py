"""Shipments of the simulated fleet: lanes, profiles, shippers, leg schedules and movement."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from streams.simulator.clock import HOUR, MINUTE, SECOND, floor_to, rfc3339
from streams.simulator.geo import haversine_km, interpolate
from streams.simulator.network import (
    AIRLINES,
    COURIERS,
    HOSPITALS,
    HUBS,
    Place,
    nearest_hub,
    plan_route,
)

CRYO_PROFILES = ("cryo-150", "cryo-130", "cryo-120")
ROAD_SPEED_KMH = 72.0
ROAD_DETOUR = 1.3
AIR_SPEED_KMH = 780.0
FRESH_OVERRIDES: dict[str, Any] = {"cumulative_budget_s": 2700.0, "max_transit_h": 30.0}
"""Inline profile fields every fresh (2-8 °C) apheresis manifest carries: a 45 min total
out-of-range budget and the 30 h maximum transit of a typical collection SOP."""


@dataclass
class Shipper:
    """A charged LN2 dry shipper."""

    shipper_id: str
    rated_hold_h: float
    charged_at: int

    @property
    def exhausted_at(self) -> int:
        """When the LN2 charge runs out, static and upright."""
        return self.charged_at + round(self.rated_hold_h * HOUR)


@dataclass
class Leg:
    """One leg with its schedule and what actually happened."""

    mode: str
    origin: Place
    destination: Place
    carrier: str
    scheduled_departure: int
    scheduled_arrival: int
    departed_at: int = 0
    arrived_at: int = 0
    stop: tuple[int, int] | None = None
    bend_km: float = 0.0

    @property
    def distance_km(self) -> float:
        return haversine_km(
            self.origin.lat, self.origin.lon, self.destination.lat, self.destination.lon
        )


@dataclass
class Shipment:
    """One shipment: the manifest's facts plus the simulated reality."""

    index: int
    shipment_id: str
    coi_id: str
    direction: str  # "inbound" (hospital -> hub) | "outbound" (hub -> hospital)
    profile: str
    origin: Place
    destination: Place
    logger_id: str
    interval_s: int
    shipper: Shipper | None
    legs: list[Leg]
    created_at: int
    packed_at: int
    promised_start: int
    promised_end: int
    temperature_unit: str = "C"
    epoch_ms_timestamps: bool = False
    fault: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    profile_overrides: dict[str, Any] = field(default_factory=dict)
    received_at: int = 0  # custody receipt at destination
    logger_stop: int = 0  # last moment the logger records

    @property
    def cryo(self) -> bool:
        return self.profile.startswith("cryo")

    @property
    def departed_at(self) -> int:
        return self.legs[0].departed_at

    @property
    def arrived_at(self) -> int:
        return self.legs[-1].arrived_at

    @property
    def air(self) -> bool:
        return any(leg.mode == "air" for leg in self.legs)

    def position(self, at: int) -> tuple[float, float, bool]:
        """Where the shipment is at `at`, and whether it is moving."""
        if at <= self.legs[0].departed_at:
            return self.origin.lat, self.origin.lon, False
        for leg in self.legs:
            if at < leg.departed_at:
                return leg.origin.lat, leg.origin.lon, False
            if at < leg.arrived_at:
                return (*_leg_position(leg, at), not _stopped(leg, at))
        return self.destination.lat, self.destination.lon, False

    def manifest(self) -> dict[str, Any]:
        """The manifest as published on the shipments topic."""
        value: dict[str, Any] = {
            "shipment_id": self.shipment_id,
            "coi_id": self.coi_id,
            "product_profile": self.profile,
            **({"profile": dict(self.profile_overrides)} if self.profile_overrides else {}),
            "origin": _site_json(self.origin),
            "destination": _site_json(self.destination),
            "promised_window": {
                "start": rfc3339(self.promised_start),
                "end": rfc3339(self.promised_end),
            },
            "logger_id": self.logger_id,
            "reporting_interval_s": self.interval_s,
            "legs": [
                {
                    "mode": leg.mode,
                    "from_site": leg.origin.site_id,
                    "to_site": leg.destination.site_id,
                    "scheduled_departure": rfc3339(leg.scheduled_departure),
                    "scheduled_arrival": rfc3339(leg.scheduled_arrival),
                    "carrier": leg.carrier,
                }
                for leg in self.legs
            ],
            "created_at": rfc3339(self.created_at),
        }
        if self.shipper is not None:
            value["shipper"] = {
                "shipper_id": self.shipper.shipper_id,
                "rated_hold_h": self.shipper.rated_hold_h,
                "charged_at": rfc3339(self.shipper.charged_at),
            }
        return value


def _site_json(place: Place) -> dict[str, Any]:
    return {"site_id": place.site_id, "role": place.role, "lat": place.lat, "lon": place.lon}


def _stopped(leg: Leg, at: int) -> bool:
    return leg.stop is not None and leg.stop[0] <= at < leg.stop[1]


def _leg_position(leg: Leg, at: int) -> tuple[float, float]:
    total = leg.arrived_at - leg.departed_at
    elapsed = at - leg.departed_at
    if leg.stop is not None:
        stop_start, stop_end = leg.stop
        total -= stop_end - stop_start
        if at >= stop_end:
            elapsed -= stop_end - stop_start
        elif at >= stop_start:
            elapsed = stop_start - leg.departed_at
    fraction = min(1.0, max(0.0, elapsed / total)) if total > 0 else 1.0
    o, d = leg.origin, leg.destination
    return interpolate(o.lat, o.lon, d.lat, d.lon, fraction, leg.bend_km)


@dataclass(frozen=True)
class Lane:
    """What a shipment carries and where, drawn before its fault and its timing."""

    direction: str
    profile: str
    origin: Place
    destination: Place

    @property
    def cryo(self) -> bool:
        return self.profile.startswith("cryo")

    @property
    def air(self) -> bool:
        return any(leg.mode == "air" for leg in plan_route(self.origin, self.destination))


def draw_lane(rng: random.Random) -> Lane:
    """An apheresis collection to a hub, or a finished product back to a hospital."""
    hospital = rng.choice(HOSPITALS)
    # most hospitals send to their home hub; some go elsewhere when it is at capacity
    hub = nearest_hub(hospital) if rng.random() < 0.75 else rng.choice(HUBS)
    if rng.random() < 0.5:
        profile = "fridge-2-8" if rng.random() < 0.6 else "cryo-150"
        return Lane("inbound", profile, hospital, hub)
    profile = rng.choices(CRYO_PROFILES, weights=(5, 3, 2))[0]
    return Lane("outbound", profile, hub, hospital)


def _nominal_duration_ms(mode: str, distance_km: float) -> int:
    if mode == "air":
        return round((distance_km / AIR_SPEED_KMH + 0.75) * HOUR)
    return round((distance_km * ROAD_DETOUR / ROAD_SPEED_KMH + 0.25) * HOUR)


def build_shipment(
    index: int, lane: Lane, fault: str | None, rng: random.Random, start: int, horizon: int
) -> Shipment:
    """Schedule and run one shipment on its lane, with the timing effects of its fault."""
    route = plan_route(lane.origin, lane.destination)
    nominal = [_nominal_duration_ms(r.mode, r.distance_km) for r in route]
    transfers = [2 * HOUR if r.mode == "air" else HOUR for r in route[1:]]
    trip_nominal = sum(nominal) + sum(transfers) + 45 * MINUTE
    latest = max(start + 3 * HOUR, horizon - trip_nominal - 14 * HOUR)
    packed_at = floor_to(rng.randint(start + 2 * HOUR, latest), 5 * MINUTE)

    # the schedule
    legs: list[Leg] = []
    departure = packed_at + 45 * MINUTE
    couriers = rng.sample(COURIERS, 2)
    for i, (r, duration) in enumerate(zip(route, nominal, strict=True)):
        if i:
            departure = legs[-1].scheduled_arrival + transfers[i - 1]
        carrier = rng.choice(AIRLINES) if r.mode == "air" else couriers[min(i, 1)]
        arrival = departure + duration
        arrival = floor_to(arrival + 5 * MINUTE - 1, 5 * MINUTE)
        bend = rng.uniform(-0.06, 0.06) * r.distance_km if r.mode == "road" else 0.0
        legs.append(Leg(r.mode, r.origin, r.destination, carrier, departure, arrival, bend_km=bend))

    # what actually happened
    origin_extra = transfer_extra = 0
    params: dict[str, Any] = {}
    if fault == "long_dwell":
        extra = rng.randint(300, 480) * MINUTE
        if len(legs) > 1:
            transfer_extra = extra
        else:
            origin_extra = extra
        params["dwell_extra_ms"] = extra
    at = packed_at + 45 * MINUTE + origin_extra + rng.randint(0, 10) * MINUTE
    for i, leg in enumerate(legs):
        if i:
            at = max(leg.scheduled_departure, at + 45 * MINUTE) + rng.randint(0, 10) * MINUTE
            if i == 1:
                at += transfer_extra
        leg.departed_at = at
        took = _nominal_duration_ms(leg.mode, leg.distance_km) * rng.uniform(0.93, 1.05)
        at += round(took / SECOND) * SECOND
        leg.arrived_at = at

    promised_end = legs[-1].scheduled_arrival + round(rng.uniform(3, 5) * 4) * HOUR // 4
    if fault == "late_leg":
        road = max((leg for leg in legs if leg.mode == "road"), key=lambda leg: leg.distance_km)
        delay = promised_end - legs[-1].arrived_at + round(rng.uniform(2, 5) * HOUR)
        stop_start = road.departed_at + round(
            (road.arrived_at - road.departed_at) * rng.uniform(0.3, 0.6)
        )
        road.stop = (stop_start, stop_start + delay)
        shift = False
        for leg in legs:
            if shift:
                leg.departed_at += delay
                leg.arrived_at += delay
            if leg is road:
                leg.arrived_at += delay
                shift = True
        params["delay_ms"] = delay

    unit = rng.choices(("C", "F", "K"), weights=(80, 15, 5))[0]
    interval_s = rng.choices((600, 300), weights=(3, 1))[0]
    received_at = legs[-1].arrived_at + rng.randint(10, 25) * MINUTE
    shipment = Shipment(
        index=index,
        shipment_id=f"SHP-{index + 1:04d}",
        coi_id=f"COI-{rng.randrange(16**4):04X}-{index + 1:04d}",
        direction=lane.direction,
        profile=lane.profile,
        origin=lane.origin,
        destination=lane.destination,
        logger_id=f"LOG-{index + 101:04d}",
        interval_s=interval_s,
        shipper=None,
        legs=legs,
        created_at=packed_at - rng.randint(2, 12) * HOUR,
        packed_at=packed_at,
        promised_start=legs[-1].scheduled_arrival - 2 * HOUR,
        promised_end=promised_end,
        temperature_unit=unit,
        epoch_ms_timestamps=rng.random() < 0.1,
        fault=fault,
        params=params,
        received_at=received_at,
        logger_stop=received_at + rng.randint(15, 30) * MINUTE,
    )
    if lane.cryo:
        shipment.shipper = _draw_shipper(shipment, rng, exhausting=fault == "hold_exhaustion")
    else:
        shipment.profile_overrides = dict(FRESH_OVERRIDES)
    return shipment


def _draw_shipper(shipment: Shipment, rng: random.Random, *, exhausting: bool) -> Shipper:
    shipper_id = f"DS-{shipment.index + 11:03d}"
    if not exhausting:
        rated = rng.choice((240.0, 240.0, 288.0, 336.0))
        charged = shipment.packed_at - round(rng.uniform(6, 24) * HOUR)
        return Shipper(shipper_id, rated, floor_to(charged, MINUTE))
    # an aged dewar charged long ago: the charge runs out partway through the trip
    rated = 120.0
    trip = shipment.arrived_at - shipment.departed_at
    remaining_at_departure = round(trip * rng.uniform(0.3, 0.6))
    charged = shipment.departed_at + remaining_at_departure - round(rated * HOUR)
    return Shipper(shipper_id, rated, floor_to(charged, MINUTE))
