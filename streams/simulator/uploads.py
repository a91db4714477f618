"""When readings reach the platform: live, after a flight or an outage in a burst, late, twice."""

from __future__ import annotations

import random

from streams.simulator.clock import HOUR, MINUTE, SECOND
from streams.simulator.fleet import Shipment
from streams.simulator.readings import Injection, Reading


def schedule_uploads(
    s: Shipment, readings: list[Reading], rng: random.Random, out: list[Injection]
) -> None:
    """Bursts after flights and outages, occasional late and duplicate uploads."""
    windows = [
        (leg.departed_at, leg.arrived_at, "flight_burst") for leg in s.legs if leg.mode == "air"
    ]
    if s.fault == "upload_outage":
        road = max(
            (leg for leg in s.legs if leg.mode == "road"),
            key=lambda leg: leg.arrived_at - leg.departed_at,
        )
        length = min(round(rng.uniform(1.5, 3.0) * HOUR), road.arrived_at - road.departed_at)
        begin = rng.randint(road.departed_at, road.arrived_at - length)
        windows.append((begin, begin + length, "upload_outage"))
    for begin, end, kind in windows:
        held = [r for r in readings if begin <= r.at < end]
        if not held:
            continue
        burst_at = end + rng.randint(3, 10) * MINUTE
        order = list(held)
        rng.shuffle(order)
        for n, r in enumerate(order):
            r.received_at = burst_at + n * rng.randint(150, 400)
            r.burst = True
        for r in rng.sample(held, min(len(held), rng.randint(1, 4))):
            r.duplicates.append(burst_at + rng.randint(1, 3) * MINUTE + rng.randint(0, 999))
        out.append(Injection(kind, held[0].at, burst_at, {"readings": len(held)}))
    for r in readings:
        if r.burst:
            continue
        roll = rng.random()
        if roll < 0.004:
            r.received_at = r.at + round(s.interval_s * SECOND * rng.uniform(1.3, 2.5))
        elif roll < 0.012:
            r.duplicates.append(r.received_at + rng.randint(1, 20) * MINUTE)
