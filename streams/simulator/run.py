"""A whole simulated run: the recording's lines in arrival order and the ground truth."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streams.simulator.clock import DAY, DEFAULT_START, SECOND, rfc3339, to_ms
from streams.simulator.custody import custody_events
from streams.simulator.epcis import EPCIS_RATE, epcis_document, is_handoff
from streams.simulator.faults import assign_faults
from streams.simulator.fleet import Shipment, build_shipment, draw_lane
from streams.simulator.malformed import bad_messages
from streams.simulator.readings import Reading, profile_of
from streams.simulator.telemetry import readings_for, wire_value
from streams.simulator.truth import (
    Window,
    delivered,
    injection_json,
    journey_windows,
    reading_windows,
    trip,
)

TRUTH_VERSION = 1
SUGGESTED_TOLERANCE_S = 600


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate."""

    shipments: int = 200
    seed: int = 0
    start: datetime = DEFAULT_START
    days: float = 7.0


@dataclass
class Simulation:
    """Recording lines (arrival order, each with `received_at`) and the truth document."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Message:
    received_at: int
    order: int
    line: dict[str, Any]


def simulate(config: SimulationConfig) -> Simulation:
    """Simulate `config.shipments` shipments over `config.days` from `config.start`."""
    rng = random.Random(config.seed)  # noqa: S311 - a reproducible simulation, not a secret
    start = to_ms(config.start)
    horizon = start + round(config.days * DAY)
    lanes = [draw_lane(rng) for _ in range(config.shipments)]
    kinds = assign_faults(lanes, rng)
    shipments = [
        build_shipment(i, lane, kind, rng, start, horizon)
        for i, (lane, kind) in enumerate(zip(lanes, kinds, strict=True))
    ]

    messages: list[_Message] = []
    faults: list[Window] = []
    tolerated: list[Window] = []
    injections: list[dict[str, Any]] = []
    trips: list[dict[str, Any]] = []
    future: list[str] = []
    late_manifests: list[str] = []
    epcis_shipments: list[str] = []
    duplicates = 0

    def emit(received_at: int, line: dict[str, Any]) -> None:
        line["received_at"] = rfc3339(received_at)
        messages.append(_Message(received_at, len(messages), line))

    for s in shipments:
        manifest_at = s.created_at + rng.randint(1, 30) * SECOND
        if rng.random() < 0.03:
            manifest_at = s.packed_at + rng.randint(10, 40) * 60 * SECOND
            late_manifests.append(s.shipment_id)
        emit(manifest_at, {"topic": "shipments", "key": s.shipment_id, "value": s.manifest()})

        records, custody_faults = custody_events(s, rng)
        speaks_epcis = rng.random() < EPCIS_RATE
        for record in records:
            received_at = record.occurred_at + rng.randint(5, 90) * SECOND
            if speaks_epcis and is_handoff(record.value):
                document = epcis_document(record.value, received_at - SECOND, rng)
                emit(received_at, {"topic": "epcis", "key": s.shipment_id, "value": document})
            else:
                emit(received_at, {"topic": "custody", "key": s.shipment_id, "value": record.value})
        if speaks_epcis:
            epcis_shipments.append(s.shipment_id)
        faults += [Window(s.shipment_id, f["type"], f["start"], f["end"]) for f in custody_faults]

        readings, applied = readings_for(s, rng)
        for r in readings:
            if r.lost:
                continue
            value = wire_value(s, r)
            emit(r.received_at, {"topic": "telemetry", "key": s.shipment_id, "value": value})
            for again in r.duplicates:
                duplicates += 1
                emit(again, {"topic": "telemetry", "key": s.shipment_id, "value": dict(value)})
            if r.skewed:
                future.append(value["event_id"])

        f, t = reading_windows(s, profile_of(s), readings)
        faults += f
        tolerated += t
        f, t = journey_windows(s, profile_of(s).max_transit_h)
        faults += f
        tolerated += t
        injections += [injection_json(s, injection) for injection in applied]
        if s.fault is not None and s.fault not in {i.kind for i in applied}:
            injections.append(
                {
                    "shipment_id": s.shipment_id,
                    "kind": s.fault,
                    "start": rfc3339(s.departed_at),
                    "end": rfc3339(s.arrived_at),
                }
            )
        trips.append(trip(s, readings))

    bad = bad_messages(shipments, rng)
    for message in bad:
        line: dict[str, Any] = {"topic": message.topic, "key": message.key}
        if message.raw is not None:
            line["raw"] = message.raw
        else:
            line["value"] = message.value
        emit(message.received_at, line)

    messages.sort(key=lambda m: (m.received_at, m.order))
    lines = [m.line for m in messages]
    reasons: dict[str, int] = {}
    for message in bad:
        reasons[message.reason] = reasons.get(message.reason, 0) + 1
    truth = {
        "version": TRUTH_VERSION,
        "generator": {
            "shipments": config.shipments,
            "seed": config.seed,
            "start": rfc3339(start),
            "days": config.days,
        },
        "suggested_tolerance_s": SUGGESTED_TOLERANCE_S,
        "faults": _windows_json(faults),
        "tolerated": _windows_json(_merged(tolerated)),
        "arrivals": [
            {"shipment_id": s.shipment_id, "arrived_at": rfc3339(s.arrived_at)} for s in shipments
        ],
        "trips": trips,
        "shipments": [_shipment_json(s) for s in shipments],
        "injections": injections,
        "malformed": len(bad),
        "deadletters": {
            **dict(sorted(reasons.items())),
            "future_timestamp": len(future),
        },
        "future_event_ids": sorted(future),
        "duplicates": duplicates,
        "out_of_order": _out_of_order(lines),
        "late_manifests": late_manifests,
        "epcis_shipments": epcis_shipments,
        "lines": _line_counts(lines),
    }
    return Simulation(lines=lines, truth=truth)


def _windows_json(windows: list[Window]) -> list[dict[str, Any]]:
    ordered = sorted(windows, key=lambda w: (w.start, w.shipment_id, w.type, w.end, w.reason))
    out = []
    for w in ordered:
        item: dict[str, Any] = {
            "shipment_id": w.shipment_id,
            "type": w.type,
            "start": rfc3339(w.start),
            "end": rfc3339(w.end),
        }
        if w.reason:
            item["reason"] = w.reason
        out.append(item)
    return out


def _merged(windows: list[Window]) -> list[Window]:
    """Overlapping windows of the same shipment and type joined into one."""
    ordered = sorted(windows, key=lambda w: (w.shipment_id, w.type, w.start, w.end))
    out: list[Window] = []
    for w in ordered:
        last = out[-1] if out else None
        if (
            last
            and (last.shipment_id, last.type) == (w.shipment_id, w.type)
            and w.start <= last.end
        ):
            reason = (
                last.reason if w.reason in last.reason.split("+") else f"{last.reason}+{w.reason}"
            )
            out[-1] = Window(w.shipment_id, w.type, last.start, max(last.end, w.end), reason)
        else:
            out.append(w)
    return out


def _shipment_json(s: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": s.shipment_id,
        "direction": s.direction,
        "profile": s.profile,
        "origin": s.origin.site_id,
        "destination": s.destination.site_id,
        "modes": [leg.mode for leg in s.legs],
        "logger_id": s.logger_id,
        "fault": s.fault,
    }


def _out_of_order(lines: list[dict[str, Any]]) -> int:
    """Telemetry lines that arrive after a line of the same logger with a higher seq."""
    newest: dict[str, int] = {}
    count = 0
    for line in lines:
        value = line.get("value")
        if line["topic"] != "telemetry" or not value or "seq" not in value:
            continue
        logger, seq = value["logger_id"], value["seq"]
        if seq < newest.get(logger, -1):
            count += 1
        newest[logger] = max(seq, newest.get(logger, -1))
    return count


def _line_counts(lines: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {"total": len(lines)}
    for line in lines:
        counts[line["topic"]] = counts.get(line["topic"], 0) + 1
    return dict(sorted(counts.items()))


__all__ = ["Reading", "Simulation", "SimulationConfig", "delivered", "simulate"]
