"""The simulated regional network: manufacturing hubs, hospitals, airports, couriers and staff."""

from __future__ import annotations

from dataclasses import dataclass

from streams.simulator.geo import haversine_km

ROAD_MAX_KM = 800.0
"""Longer than this (great circle) and a shipment flies, with road legs to and from airports."""


@dataclass(frozen=True)
class Place:
    """A site a shipment can start, end or change hands at."""

    site_id: str
    role: str  # "hub" | "hospital" | "airport"
    city: str
    lat: float
    lon: float
    airport: str  # site_id of the nearest cargo airport (itself for an airport)


AIRPORTS: tuple[Place, ...] = (
    Place("APT-PIT", "airport", "Pittsburgh", 40.4915, -80.2329, "APT-PIT"),
    Place("APT-BOS", "airport", "Boston", 42.3656, -71.0096, "APT-BOS"),
    Place("APT-JFK", "airport", "New York", 40.6413, -73.7781, "APT-JFK"),
    Place("APT-PHL", "airport", "Philadelphia", 39.8744, -75.2424, "APT-PHL"),
    Place("APT-ATL", "airport", "Atlanta", 33.6407, -84.4277, "APT-ATL"),
    Place("APT-BNA", "airport", "Nashville", 36.1263, -86.6774, "APT-BNA"),
    Place("APT-ORD", "airport", "Chicago", 41.9742, -87.9073, "APT-ORD"),
    Place("APT-MSP", "airport", "Minneapolis", 44.8848, -93.2223, "APT-MSP"),
    Place("APT-IAH", "airport", "Houston", 29.9902, -95.3368, "APT-IAH"),
    Place("APT-DFW", "airport", "Dallas", 32.8998, -97.0403, "APT-DFW"),
    Place("APT-SFO", "airport", "San Francisco", 37.6213, -122.3790, "APT-SFO"),
    Place("APT-LAX", "airport", "Los Angeles", 33.9416, -118.4085, "APT-LAX"),
    Place("APT-SEA", "airport", "Seattle", 47.4502, -122.3088, "APT-SEA"),
    Place("APT-CLE", "airport", "Cleveland", 41.4058, -81.8539, "APT-CLE"),
)

HUBS: tuple[Place, ...] = (
    Place("HUB-PIT", "hub", "Pittsburgh", 40.4406, -79.9959, "APT-PIT"),
    Place("HUB-BOS", "hub", "Boston", 42.3765, -71.2356, "APT-BOS"),
    Place("HUB-ATL", "hub", "Atlanta", 33.7490, -84.3880, "APT-ATL"),
    Place("HUB-CHI", "hub", "Chicago", 41.8781, -87.6298, "APT-ORD"),
    Place("HUB-HOU", "hub", "Houston", 29.7604, -95.3698, "APT-IAH"),
    Place("HUB-SFB", "hub", "Bay Area", 37.6547, -122.4077, "APT-SFO"),
)

HOSPITALS: tuple[Place, ...] = (
    Place("HOSP-BOS-01", "hospital", "Boston", 42.3370, -71.1080, "APT-BOS"),
    Place("HOSP-NYC-01", "hospital", "New York", 40.7641, -73.9560, "APT-JFK"),
    Place("HOSP-PHL-01", "hospital", "Philadelphia", 39.9496, -75.1930, "APT-PHL"),
    Place("HOSP-PIT-01", "hospital", "Pittsburgh", 40.4592, -79.9400, "APT-PIT"),
    Place("HOSP-CLE-01", "hospital", "Cleveland", 41.5030, -81.6210, "APT-CLE"),
    Place("HOSP-ATL-01", "hospital", "Atlanta", 33.7930, -84.3220, "APT-ATL"),
    Place("HOSP-NSH-01", "hospital", "Nashville", 36.1420, -86.8020, "APT-BNA"),
    Place("HOSP-CHI-01", "hospital", "Chicago", 41.8950, -87.6210, "APT-ORD"),
    Place("HOSP-MSP-01", "hospital", "Minneapolis", 44.9730, -93.2320, "APT-MSP"),
    Place("HOSP-HOU-01", "hospital", "Houston", 29.7070, -95.3970, "APT-IAH"),
    Place("HOSP-DAL-01", "hospital", "Dallas", 32.8120, -96.8400, "APT-DFW"),
    Place("HOSP-SFO-01", "hospital", "San Francisco", 37.7630, -122.4580, "APT-SFO"),
    Place("HOSP-LAX-01", "hospital", "Los Angeles", 34.1300, -117.9720, "APT-LAX"),
    Place("HOSP-SEA-01", "hospital", "Seattle", 47.6270, -122.3310, "APT-SEA"),
)

PLACES: dict[str, Place] = {p.site_id: p for p in (*AIRPORTS, *HUBS, *HOSPITALS)}

COURIERS: tuple[str, ...] = tuple(f"CUR-{n:02d}" for n in (11, 17, 23, 31, 42, 56, 63, 77, 84, 95))
AIRLINES: tuple[str, ...] = ("AIR-AA-CARGO", "AIR-DL-CARGO", "AIR-UA-CARGO", "AIR-FX")
STAFF: tuple[str, ...] = (
    "A. Rivera",
    "J. Chen",
    "M. Okafor",
    "S. Patel",
    "L. Novak",
    "R. Haddad",
    "K. Larsen",
    "D. Moreau",
    "T. Nguyen",
    "E. Kowalski",
    "P. Santos",
    "H. Yamada",
)


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance between two places."""
    return haversine_km(a.lat, a.lon, b.lat, b.lon)


def nearest_hub(site: Place) -> Place:
    """The hub closest to a site (its home hub)."""
    return min(HUBS, key=lambda hub: (distance_km(site, hub), hub.site_id))


@dataclass(frozen=True)
class LegRoute:
    """One leg of a route: mode and the two places it joins."""

    mode: str  # "road" | "air"
    origin: Place
    destination: Place

    @property
    def distance_km(self) -> float:
        return distance_km(self.origin, self.destination)


def plan_route(origin: Place, destination: Place) -> list[LegRoute]:
    """Road when the two sites are within driving range, otherwise road-air-road via airports."""
    if distance_km(origin, destination) <= ROAD_MAX_KM:
        return [LegRoute("road", origin, destination)]
    out_apt = PLACES[origin.airport]
    in_apt = PLACES[destination.airport]
    return [
        LegRoute("road", origin, out_apt),
        LegRoute("air", out_apt, in_apt),
        LegRoute("road", in_apt, destination),
    ]
