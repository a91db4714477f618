"""Bad input mixed into a simulated recording: text that is not JSON and schema-invalid values."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from streams.simulator.clock import rfc3339
from streams.simulator.fleet import Shipment

MALFORMED_RATE = 0.15
"""Bad messages per shipment, on average."""


@dataclass
class BadMessage:
    """One bad message and the dead-letter reason a correct decoder gives it."""

    topic: str
    key: str
    received_at: int
    reason: str  # "invalid_json" | "schema" | "naive_timestamp"
    value: dict[str, Any] | None = None
    raw: str | None = None


def bad_messages(shipments: list[Shipment], rng: random.Random) -> list[BadMessage]:
    """About `MALFORMED_RATE` bad messages per shipment, each during some shipment's trip."""
    count = max(3, round(len(shipments) * MALFORMED_RATE))
    out: list[BadMessage] = []
    for n in range(count):
        s = rng.choice(shipments)
        at = rng.randint(s.departed_at, s.arrived_at)
        kind = n % 6
        event_id = f"{s.logger_id}:bad{n}"
        when = rfc3339(at)
        if kind == 0:
            raw = f'{{"event_id": "{event_id}", "shipment_id": "{s.shipment_id}", "recorded_at": '
            out.append(BadMessage("telemetry", s.shipment_id, at, "invalid_json", raw=raw))
        elif kind == 1:
            raw = "HTTP/1.1 502 Bad Gateway"
            out.append(BadMessage("telemetry", s.shipment_id, at, "invalid_json", raw=raw))
        elif kind == 2:
            value: dict[str, Any] = {
                "event_id": event_id,
                "shipment_id": s.shipment_id,
                "recorded_at": when,
                "temperature_c": "warm",
            }
            out.append(BadMessage("telemetry", s.shipment_id, at, "schema", value=value))
        elif kind == 3:
            value = {"event_id": event_id, "shipment_id": s.shipment_id, "temperature_c": -180.2}
            out.append(BadMessage("telemetry", s.shipment_id, at, "schema", value=value))
        elif kind == 4:
            value = {
                "event_id": event_id,
                "shipment_id": s.shipment_id,
                "recorded_at": when.removesuffix("Z"),
                "temperature_c": -181.0,
            }
            out.append(BadMessage("telemetry", s.shipment_id, at, "naive_timestamp", value=value))
        else:
            value = {
                "event_id": f"CUS-{s.index + 1:04d}-bad{n}",
                "shipment_id": s.shipment_id,
                "step": "arriving",
                "site_id": s.destination.site_id,
            }
            out.append(BadMessage("custody", s.shipment_id, at, "schema", value=value))
    return out
