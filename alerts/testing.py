"""Builders for manifests, readings and custody events, and a runner, for tests of the rules."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

import alerts.eta
from alerts.config import RuleConfig
from alerts.encoded import History, dump_record
from alerts.engine import Event, Step, apply, settle
from alerts.readings import CompactReading
from alerts.state import ShipmentState
from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading

__all__ = [
    "LOGGER",
    "SHIPMENT",
    "T0",
    "Run",
    "at",
    "custody",
    "estimates_made",
    "final_alerts",
    "held_readings",
    "live_contents",
    "manifest",
    "reading",
    "replaying",
    "restored",
    "run",
    "stored",
    "tail_texts",
    "through_store",
    "without_mark",
]

SHIPMENT = "SHP-T1"
LOGGER = "LOG-T1"
COI = "COI-T1"
T0 = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
"""Minute 0 of every built shipment."""


def stored(state: ShipmentState) -> tuple[bytes, dict[int, bytes]]:
    """What a checkpoint stores of ``state`` (``streams.state_store``): its own record's bytes
    and its history's sealed chunks by number."""
    state.history.seal()
    record = dump_record(state.record())
    return record, dict(state.history.chunks())


def restored(record: bytes, chunks: dict[int, bytes]) -> ShipmentState:
    """The state a worker decodes from a stored record and its chunks."""
    return ShipmentState.from_dict(orjson.loads(record), chunks.__getitem__)


def through_store(state: ShipmentState) -> ShipmentState:
    """``state`` stored and decoded again, as a restarted worker gets it."""
    return restored(*stored(state))


def held_readings(history: History) -> int:
    """How many reading objects ``history`` holds, on their own or in its lists (encoded and
    sealed readings are held as bytes)."""
    held = gc.get_referents(history)
    return sum(isinstance(item, CompactReading) for item in held) + sum(
        isinstance(item, CompactReading) for lst in held if isinstance(lst, list) for item in lst
    )


def tail_texts(history: History) -> list[bytes]:
    """The texts ``history`` holds its encoded tail readings in, oldest first (one per
    ``stored_form`` that encoded some; sealed chunks are not among them)."""
    return [
        text
        for held in gc.get_referents(history)
        if isinstance(held, tuple)
        for text in held
        if isinstance(text, bytes)
    ]


def replaying(state: ShipmentState) -> ShipmentState:
    """``state`` with its ETA no longer known to be what an event-time replay would leave
    (``alerts.eta.EtaState.exact_t``): its next settle replays, as after a late event."""
    state.eta.exact_t = None
    return state


def without_mark(state: ShipmentState) -> dict[str, Any]:
    """``state.to_dict()`` without the stored ETA replay mark (a cache: where a settle that
    replays resumes, which depends on the replays the state went through)."""
    data = state.to_dict()
    del data["eta_mark"]
    return data


def at(minute: float) -> datetime:
    """``T0`` plus ``minute`` minutes."""
    return T0 + timedelta(minutes=minute)


def manifest(
    profile_name: str = "cryo-150", *, shipment_id: str = SHIPMENT, **overrides: Any
) -> ShipmentManifest:
    """A valid manifest (hub to hospital, logger ``LOG-T1``, 10 min reporting interval).

    ``overrides`` replace top-level fields, e.g. ``profile={"max_transit_h": 30}``.
    """
    data: dict[str, Any] = {
        "shipment_id": shipment_id,
        "coi_id": COI,
        "product_profile": profile_name,
        "origin": {"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
        "destination": {"site_id": "HOSP-1", "role": "hospital", "lat": 42.3, "lon": -71.1},
        "promised_window": {"start": at(24 * 60).isoformat(), "end": at(30 * 60).isoformat()},
        "logger_id": LOGGER,
        "reporting_interval_s": 600,
        "created_at": at(-60).isoformat(),
    }
    data.update(overrides)
    return ShipmentManifest.model_validate(data)


def reading(
    minute: float,
    temp: float | None = None,
    *,
    shipment_id: str = SHIPMENT,
    event_id: str | None = None,
    seq: int | None = None,
    logger_id: str | None = LOGGER,
    location: tuple[float, float] | None = None,
    **fields: Any,
) -> TelemetryReading:
    """A reading at ``at(minute)``; its event id derives from the minute unless given."""
    data: dict[str, Any] = {
        "event_id": event_id or f"{shipment_id}:r:{minute:g}",
        "shipment_id": shipment_id,
        "logger_id": logger_id,
        "seq": seq,
        "recorded_at": at(minute).isoformat(),
        "temperature_c": temp,
        **fields,
    }
    if location is not None:
        data["location"] = {"lat": location[0], "lon": location[1]}
    return TelemetryReading.model_validate(data)


def custody(
    minute: float,
    step: str,
    from_party: str | None = None,
    to_party: str | None = None,
    *,
    shipment_id: str = SHIPMENT,
    event_id: str | None = None,
    coi_id: str | None = COI,
    roles: tuple[str, str] = ("hub", "courier"),
    **fields: Any,
) -> CustodyEvent:
    """A custody event at ``at(minute)``; a handoff when ``to_party`` is given."""
    data: dict[str, Any] = {
        "event_id": event_id or f"{shipment_id}:c:{minute:g}:{step}",
        "shipment_id": shipment_id,
        "coi_id": coi_id,
        "occurred_at": at(minute).isoformat(),
        "step": step,
        **fields,
    }
    if from_party is not None:
        data["from_party"] = {"party_id": from_party, "role": roles[0]}
    if to_party is not None:
        data["to_party"] = {"party_id": to_party, "role": roles[1]}
    return CustodyEvent.model_validate(data)


@dataclass
class Run:
    """Everything a sequence of events produced for one shipment."""

    state: ShipmentState | None
    alerts: list[Alert] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def final(self) -> dict[str, Alert]:
        """The last version of every alert id."""
        return final_alerts(self.alerts)

    def of_type(self, kind: str) -> list[Alert]:
        """Final alerts of one type, by alert id."""
        return [a for _, a in sorted(self.final().items()) if a.type == kind]


def run(
    events: Iterable[Event],
    config: RuleConfig | None = None,
    state: ShipmentState | None = None,
    *,
    settled: bool = True,
) -> Run:
    """Apply ``events`` in order to one shipment's state, then ``settle`` it (as the offline
    runner does at the end of a recording) unless ``settled`` is false."""
    config = config or RuleConfig()
    result = Run(state)

    def take(step: Step) -> None:
        result.state = step.state
        result.alerts.extend(step.alerts)
        result.dead_letters.extend(step.dead_letters)

    for event in events:
        take(apply(result.state, event, config))
    if settled:
        take(settle(result.state, config))
    return result


def final_alerts(alerts: Iterable[Alert]) -> dict[str, Alert]:
    """The last version of every alert id."""
    final: dict[str, Alert] = {}
    for alert in alerts:
        seen = final.get(alert.alert_id)
        if seen is None or alert.version > seen.version:
            final[alert.alert_id] = alert
    return final


def live_contents(alerts: dict[str, Alert]) -> list[dict[str, Any]]:
    """What the final alerts (``Run.final``) that were not withdrawn or superseded say,
    without their ids, versions or status, by type and opening time: the outcome two runs
    that took the same events in another order or under other bounds must agree on."""
    kept = [
        a.model_dump(exclude={"alert_id", "version", "status"})
        for a in alerts.values()
        if "withdrawn" not in a.details and "superseded_by" not in a.details
    ]
    return sorted(kept, key=lambda c: (c["type"], c["opened_at"]))


@contextmanager
def estimates_made() -> Iterator[list[float]]:
    """The time of every ETA estimate computed inside the block (those the caches spare are
    not): ``alerts.eta.ESTIMATED``, put back afterwards."""
    made: list[float] = []
    before, alerts.eta.ESTIMATED = alerts.eta.ESTIMATED, made
    try:
        yield made
    finally:
        alerts.eta.ESTIMATED = before
