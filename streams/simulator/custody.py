"""Chain-of-custody events of a simulated shipment, with custody faults injected."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from streams.simulator.clock import MINUTE, rfc3339
from streams.simulator.fleet import Shipment
from streams.simulator.network import COURIERS, STAFF, Place


@dataclass
class CustodyRecord:
    """One custody event: when it happened and the wire value."""

    occurred_at: int
    value: dict[str, Any]


def _party(place: Place) -> dict[str, str]:
    return {"party_id": place.site_id, "role": place.role}


def _carrier_party(carrier: str) -> dict[str, str]:
    return {"party_id": carrier, "role": "airline" if carrier.startswith("AIR-") else "courier"}


def custody_events(
    shipment: Shipment, rng: random.Random
) -> tuple[list[CustodyRecord], list[dict[str, Any]]]:
    """Packing to storing, one handoff per change of hands; returns events and custody faults."""
    s = shipment
    seal = f"SEAL-{s.index + 1:04d}"
    events: list[
        tuple[int, str, Place, dict[str, str] | None, dict[str, str] | None, str | None]
    ] = []
    events.append((s.packed_at, "packing", s.origin, None, None, None))
    first = s.legs[0]
    events.append(
        (
            first.departed_at - rng.randint(2, 8) * MINUTE,
            "departing",
            s.origin,
            _party(s.origin),
            _carrier_party(first.carrier),
            "conformant",
        )
    )
    for previous, leg in zip(s.legs, s.legs[1:], strict=False):
        site = previous.destination
        events.append((previous.arrived_at, "arriving", site, None, None, None))
        events.append(
            (
                previous.arrived_at + rng.randint(10, 30) * MINUTE,
                "accepting",
                site,
                _carrier_party(previous.carrier),
                _carrier_party(leg.carrier),
                "conformant",
            )
        )
    last = s.legs[-1]
    events.append((last.arrived_at, "arriving", s.destination, None, None, None))
    events.append(
        (
            s.received_at,
            "receiving",
            s.destination,
            _carrier_party(last.carrier),
            _party(s.destination),
            "conformant",
        )
    )
    inspected = s.received_at + rng.randint(5, 12) * MINUTE
    events.append((inspected, "inspecting", s.destination, None, None, "conformant"))
    events.append(
        (inspected + rng.randint(3, 8) * MINUTE, "storing", s.destination, None, None, None)
    )

    records: list[CustodyRecord] = []
    for n, (at, step, site, from_party, to_party, condition) in enumerate(events, start=1):
        value: dict[str, Any] = {
            "event_id": f"CUS-{s.index + 1:04d}-{n:02d}",
            "shipment_id": s.shipment_id,
            "coi_id": s.coi_id,
            "occurred_at": rfc3339(at),
            "step": step,
            "site_id": site.site_id,
            "seal_id": seal,
            "logger_id": s.logger_id,
        }
        if from_party is not None:
            value["from_party"] = from_party
        if to_party is not None:
            value["to_party"] = to_party
            value["signature"] = {
                "name": rng.choice(STAFF),
                "meaning": "responsibility",
                "signed_at": rfc3339(at),
            }
        if condition is not None:
            value["condition"] = condition
        records.append(CustodyRecord(at, value))
    return records, _inject(s, records, rng)


def _inject(s: Shipment, records: list[CustodyRecord], rng: random.Random) -> list[dict[str, Any]]:
    """Apply the shipment's custody fault, if any; returns the truth faults it causes."""
    if s.fault == "coi_mismatch":
        target = rng.choice(records[2:])  # after departure
        target.value["coi_id"] = f"COI-{rng.randrange(16**4):04X}-{rng.randrange(1, 9999):04d}"
        return [_fault(s, "coi_mismatch", target.occurred_at)]
    if s.fault == "custody_gap":
        handoffs = [r for r in records[2:] if "to_party" in r.value]
        target = rng.choice(handoffs)
        current = target.value["from_party"]["party_id"]
        stranger = rng.choice([c for c in COURIERS if c != current])
        target.value["from_party"] = {"party_id": stranger, "role": "courier"}
        return [_fault(s, "custody_gap", target.occurred_at)]
    if s.fault == "non_conformant":
        receipt = next(r for r in records if r.value["step"] == "receiving")
        receipt.value["condition"] = "non_conformant"
        return [_fault(s, "non_conformant_receipt", receipt.occurred_at)]
    return []


def _fault(s: Shipment, alert_type: str, at: int) -> dict[str, Any]:
    return {"shipment_id": s.shipment_id, "type": alert_type, "start": at, "end": at}
