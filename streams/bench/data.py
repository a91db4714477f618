"""Benchmark traffic: manifests and cryo readings (a few excursions) as ready-to-send bytes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson

INTERVAL_S = 600


def start_for(steps: int, now: datetime | None = None) -> datetime:
    """A start ``steps`` reporting intervals before now (readings must not lie in the future:
    the decoder dead-letters those more than 5 minutes ahead of the receiving clock)."""
    now = now or datetime.now(tz=UTC)
    return (now - timedelta(seconds=INTERVAL_S * steps)).replace(microsecond=0)


def shipment_id(index: int) -> str:
    return f"BSH-{index:06d}"


def manifest(index: int, created_at: datetime | None = None) -> bytes:
    """A cryo-150 manifest hub -> hospital with a 10-minute logger cadence, created at
    ``created_at`` (default 2026-11-30, after the readings of a run on the days this was written:
    pass the backlog's start, as ``cryotrace bench`` does, for a manifest before its readings)."""
    created = created_at or datetime(2026, 11, 30, tzinfo=UTC)
    sid = shipment_id(index)
    return orjson.dumps(
        {
            "shipment_id": sid,
            "coi_id": f"COI-BENCH-{index:06d}",
            "product_profile": "cryo-150",
            "origin": {"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
            "destination": {
                "site_id": "HOSP-BOS-01",
                "role": "hospital",
                "lat": 42.33,
                "lon": -71.1,
            },
            "promised_window": {"start": "2026-12-20T08:00:00Z", "end": "2026-12-20T14:00:00Z"},
            "logger_id": f"LOG-{sid}",
            "reporting_interval_s": INTERVAL_S,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


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
            "location": {"lat": 40.44 + seq * 0.001, "lon": -79.99 + seq * 0.002},
            "battery_pct": 90,
        }
    )


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
