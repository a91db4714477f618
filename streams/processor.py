"""One batch of input messages folded into shipment states: decode, route, rules, outputs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from alerts.engine import apply, refresh_eta, settle, tick
from alerts.state import ShipmentState
from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter, FieldError
from schemas.decode import Decoded, Event
from schemas.eta import EtaUpdate
from schemas.telemetry import TelemetryReading
from streams.partitioning import partition_for
from streams.settings import Settings
from streams.topics import Topic
from streams.wire import decode_message, received_at

log = structlog.get_logger(__name__)

StateLoader = Callable[[str], ShipmentState | None]
"""Reads one shipment's stored state (None for a shipment not seen yet)."""


@dataclass(frozen=True)
class Forward:
    """A decoded event that belongs to another partition (e.g. from an EPCIS document keyed
    otherwise): re-published, normalised, to its own topic keyed by shipment."""

    topic: Topic
    event: TelemetryReading | CustodyEvent
    received_at: datetime


@dataclass
class BatchOutput:
    """What one batch produced, in input order; ``states`` holds the states it changed."""

    alerts: list[Alert] = field(default_factory=list)
    eta: list[EtaUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    forwards: list[Forward] = field(default_factory=list)
    states: dict[str, ShipmentState] = field(default_factory=dict)


def internal_error(message: Any, exc: BaseException) -> DeadLetter:
    """A dead letter for an input that made our own code fail (a bug, never bad input)."""
    raw = message.value if isinstance(message.value, bytes) else b""
    return DeadLetter(
        reason="internal_error",
        errors=[
            FieldError(loc="", msg=f"{type(exc).__name__}: {exc}"[:300], type="internal_error")
        ],
        source_topic=str(message.topic),
        partition=message.partition,
        offset=message.offset,
        key=message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else None,
        raw=raw.decode("utf-8", "replace")[:65536],
        received_at=received_at(message),
    )


def _forward_topic(event: Event) -> Topic | None:
    if isinstance(event, TelemetryReading):
        return Topic.TELEMETRY
    if isinstance(event, CustodyEvent):
        return Topic.CUSTODY
    return None


def process_batch(settings: Settings, messages: Iterable[Any], load: StateLoader) -> BatchOutput:
    """Fold messages into per-shipment states. Deterministic for the same messages and states.

    An event whose shipment hashes to another partition than its message is forwarded (it
    must meet its shipment's other events in one worker); a manifest on the wrong partition
    is dead-lettered as ``misrouted`` since manifests are keyed by shipment by contract.
    """
    out = BatchOutput()
    partitions = settings.topics.partitions
    for message in messages:
        try:
            arrived = received_at(message)
            outcome = decode_message(settings, message, arrived)
            if not isinstance(outcome, Decoded):
                out.dead_letters.append(outcome)
                continue
            for event in outcome.events:
                shipment_id = event.shipment_id
                home = partition_for(shipment_id, partitions)
                if home != message.partition:
                    target = _forward_topic(event)
                    if target is None:
                        out.dead_letters.append(_misrouted(message, shipment_id, home))
                    else:
                        out.forwards.append(Forward(target, event, arrived))  # type: ignore[arg-type]
                    continue
                state = out.states.get(shipment_id) or load(shipment_id)
                step = apply(state, event, settings.rules, received_at=arrived, eta_now=False)
                if step.state is not None:
                    out.states[shipment_id] = step.state
                out.alerts.extend(step.alerts)
                out.eta.extend(step.eta)
                out.dead_letters.extend(step.dead_letters)
        except Exception as exc:
            log.exception("process.internal_error", topic=message.topic, offset=message.offset)
            out.dead_letters.append(internal_error(message, exc))
    for shipment_id, state in out.states.items():  # one ETA estimate per shipment and batch
        try:
            out.eta.extend(refresh_eta(state, settings.rules).eta)
        except Exception:
            log.exception("process.eta_error", shipment_id=shipment_id)
    return out


def _misrouted(message: Any, shipment_id: str, home: int) -> DeadLetter:
    return DeadLetter(
        reason="misrouted",
        errors=[
            FieldError(
                loc="key",
                msg=f"shipment {shipment_id} belongs on partition {home}, "
                f"not {message.partition}: key messages by shipment_id",
                type="misrouted",
            )
        ],
        source_topic=str(message.topic),
        partition=message.partition,
        offset=message.offset,
        key=message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else None,
        raw=(message.value or b"").decode("utf-8", "replace")[:65536],
        received_at=received_at(message),
    )


def clock_step(
    settings: Settings, states: Iterable[tuple[str, ShipmentState]], now: datetime
) -> BatchOutput:
    """The live timer over owned states: ``settle`` what late bursts held back, then (with
    ``stream.silence_timer``) ``tick`` the clock. A state counts as changed only when it
    emitted something or was settled (the clock itself need not reach the changelog)."""
    out = BatchOutput()
    for shipment_id, state in states:
        was = (state.deferred, state.eta.dirty, state.eta.unsettled)
        steps = [settle(state, settings.rules)]
        if settings.stream.silence_timer:
            steps.append(tick(state, now, settings.rules))
        emitted = False
        for step in steps:
            out.alerts.extend(step.alerts)
            out.eta.extend(step.eta)
            out.dead_letters.extend(step.dead_letters)
            emitted = emitted or bool(step.alerts or step.eta or step.dead_letters)
        if emitted or was != (state.deferred, state.eta.dirty, state.eta.unsettled):
            out.states[shipment_id] = state
    return out
