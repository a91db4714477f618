"""Great-circle geometry for simulated routes: distances, interpolation, lateral offsets."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def interpolate(
    lat1: float, lon1: float, lat2: float, lon2: float, fraction: float, bend_km: float = 0.0
) -> tuple[float, float]:
    """Point at `fraction` of the way from 1 to 2, pushed sideways by `bend_km` * sin(pi*fraction).

    The sideways bend imitates a road that does not follow the straight line; it is zero at
    both ends so a route always starts and ends at its sites.
    """
    lat = lat1 + (lat2 - lat1) * fraction
    lon = lon1 + (lon2 - lon1) * fraction
    if bend_km:
        offset_km = bend_km * math.sin(math.pi * fraction)
        # unit vector perpendicular to the segment, in km-scaled degrees
        km_per_deg_lat = 111.2
        km_per_deg_lon = 111.2 * max(0.1, math.cos(math.radians(lat)))
        dy = (lat2 - lat1) * km_per_deg_lat
        dx = (lon2 - lon1) * km_per_deg_lon
        norm = math.hypot(dx, dy) or 1.0
        lat += (dx / norm) * offset_km / km_per_deg_lat
        lon += (-dy / norm) * offset_km / km_per_deg_lon
    return lat, lon
