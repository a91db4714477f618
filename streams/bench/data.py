"""Benchmark traffic: manifests and cryo readings (a few excursions) as ready-to-send bytes."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

INTERVAL_S = 600

ORIGIN = (40.44, -79.99)
"""The hub the bench's shipments leave (Pittsburgh)."""
DESTINATION = (39.74, -104.99)
"""The hospital they are driven to (Denver), about 2,130 km away as the crow flies."""
TRIP_STEPS = 270
"""Readings from hub to hospital: a 45-hour ground leg (team drivers) at the 10-minute
cadence, about 47 km/h as the crow flies, 61 km/h on the road at the ETA's detour factor.
Longer than a run's readings per shipment (100 by default, 150 for the documented 100,000
over 1,000 with its latency phase), so every reading is in transit."""
CREATED_BEFORE = timedelta(hours=1)
"""A manifest is created this long before its shipment's first reading."""
PROMISED_AFTER = timedelta(days=20)
"""The promised delivery window opens this long after the manifest's creation: far past the
trip's arrival, so every bench shipment stays on time whatever day the bench runs."""
PROMISED_WIDTH = timedelta(hours=6)
JITTER_DEG = 1e-4
"""GPS noise: a fix is off by up to about 10 m, as a logger's are."""


def start_for(steps: int, now: datetime | None = None) -> datetime:
    """A start ``steps`` reporting intervals before now (readings must not lie in the future:
    the decoder dead-letters those more than 5 minutes ahead of the receiving clock)."""
    now = now or datetime.now(tz=UTC)
    return (now - timedelta(seconds=INTERVAL_S * steps)).replace(microsecond=0)


def shipment_id(index: int) -> str:
    return f"BSH-{index:06d}"


def manifest(index: int, start: datetime) -> bytes:
    """A cryo-150 manifest hub -> hospital with a 10-minute logger cadence for readings from
    ``start`` on (``start_for``): created ``CREATED_BEFORE`` ahead of them, promised for a
    window 20 days after its creation (on time throughout). Both follow the run's own clock:
    fixed dates made the ETA replay, and so the figures, change with the day a bench ran."""
    created_at = start - CREATED_BEFORE
    promised = created_at + PROMISED_AFTER
    sid = shipment_id(index)
    return orjson.dumps(
        {
            "shipment_id": sid,
            "coi_id": f"COI-BENCH-{index:06d}",
            "product_profile": "cryo-150",
            "origin": {"site_id": "HUB-NE", "role": "hub", "lat": ORIGIN[0], "lon": ORIGIN[1]},
            "destination": {
                "site_id": "HOSP-DEN-01",
                "role": "hospital",
                "lat": DESTINATION[0],
                "lon": DESTINATION[1],
            },
            "promised_window": {
                "start": promised.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end": (promised + PROMISED_WIDTH).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "logger_id": f"LOG-{sid}",
            "reporting_interval_s": INTERVAL_S,
            "created_at": created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def next_step(events: int, shipments: int, index: int) -> int:
    """The step after shipment ``index``'s last reading among ``readings(events, shipments)``."""
    return events // shipments + (1 if index < events % shipments else 0)


def reading(index: int, seq: int, temperature: float, start: datetime) -> bytes:
    """One telemetry reading of shipment ``index`` at step ``seq`` after ``start``."""
    sid = shipment_id(index)
    at = start + timedelta(seconds=seq * INTERVAL_S)
    return orjson.dumps(
        {
            "event_id": f"LOG-{sid}:{seq}",
            "shipment_id": sid,
            "logger_id": f"LOG-{sid}",
            "seq": seq,
            "recorded_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "temperature_c": temperature,
            "location": position(index, seq),
            "battery_pct": 90,
        }
    )


def position(index: int, seq: int) -> dict[str, float]:
    """Shipment ``index``'s fix at step ``seq``: a steady drive along the great circle from
    ``ORIGIN`` to ``DESTINATION`` over ``TRIP_STEPS`` readings (then parked there), with GPS
    noise.

    The readings used to creep 0.2 km per reading (1.2 km/h) for days, below the ETA's
    floor speed: the window slipped past the update threshold nearly every reading (1.02 ETA
    updates per reading) and every shipment raised a dwell alert."""
    progress = min(seq / TRIP_STEPS, 1.0)
    lat, lon = _along_great_circle(progress)
    # deterministic noise in [-1, 1) from the shipment and step, no random state to seed
    noise = ((index * 7_919 + seq * 104_729) % 2_000) / 1_000 - 1
    return {"lat": round(lat + noise * JITTER_DEG, 6), "lon": round(lon - noise * JITTER_DEG, 6)}


def _unit(lat: float, lon: float) -> tuple[float, float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    return (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))


_FROM, _TO = _unit(*ORIGIN), _unit(*DESTINATION)
_ANGLE = math.acos(sum(a * b for a, b in zip(_FROM, _TO, strict=True)))


def _along_great_circle(progress: float) -> tuple[float, float]:
    """The point ``progress`` (0-1) of the way from ``ORIGIN`` to ``DESTINATION``."""
    w_from = math.sin((1 - progress) * _ANGLE) / math.sin(_ANGLE)
    w_to = math.sin(progress * _ANGLE) / math.sin(_ANGLE)
    x, y, z = (w_from * a + w_to * b for a, b in zip(_FROM, _TO, strict=True))
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def readings(
    events: int, shipments: int, start: datetime, seed: int = 1
) -> Iterator[tuple[str, bytes]]:
    """``events`` readings round-robin over ``shipments``; about 1 in 200 is an excursion."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
    for n in range(events):
        index, seq = n % shipments, n // shipments
        hot = rng.random() < 0.005
        temperature = round(rng.uniform(-145.0, -140.0) if hot else rng.uniform(-190.0, -175.0), 1)
        yield shipment_id(index), reading(index, seq, temperature, start)
