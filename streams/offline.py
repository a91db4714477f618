"""OfflineRunner: the rule engine over a recording, in file order, without Kafka."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.config import RuleConfig
from alerts.engine import Event, apply, settle
from alerts.state import ShipmentState
from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter, FieldError
from schemas.decode import decode
from schemas.errors import DecodeError
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest
from schemas.recording import RecordingLine
from schemas.telemetry import TelemetryReading

__all__ = ["EPOCH", "OfflineRunner", "Record"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Record = Event | Alert | EtaUpdate | DeadLetter
"""Everything the runner hands to its listener, in processing order."""


@dataclass
class OfflineRunner:
    """Replays recording lines through ``schemas.decode`` and ``alerts.engine.apply``.

    Lines are processed in file order, one shipment state per ``shipment_id`` (as a live
    worker holds them in its table). The receiving clock of a line is its ``received_at``
    when the recording has one: decode then rejects readings more than 5 min after it, as
    live. A line without ``received_at`` has no receiving clock, so the future-timestamp
    check is skipped for it and its dead letters are stamped with the latest event time
    seen so far in the recording (the epoch before any). Engine dead letters (too late,
    overflow) are stamped likewise. At the end of the recording ``finish`` settles every
    shipment (alerts held back while late readings arrived, see
    ``alerts.engine.DEFERRED_TYPES``) and dead-letters events still waiting for their
    manifest as ``manifest_timeout``.

    ``listener`` (e.g. a warehouse sink's ``add``) receives every decoded event, alert
    version, ETA update and dead letter in order.
    """

    config: RuleConfig = field(default_factory=RuleConfig)
    listener: Callable[[Record], None] | None = None
    states: dict[str, ShipmentState] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)
    eta: list[EtaUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    lines: int = 0
    events: Counter[str] = field(default_factory=Counter)
    watermark: datetime = EPOCH

    def run(self, lines: Iterable[RecordingLine | DecodeError]) -> dict[str, Any]:
        """Feed every line, finish, and return the summary."""
        for line in lines:
            if isinstance(line, DecodeError):
                self.reject_line(str(line))
            else:
                self.feed(line)
        self.finish()
        return self.summary()

    def feed(self, line: RecordingLine) -> None:
        """Decode one recording line and apply its events."""
        self.lines += 1
        received = line.received_at
        decoded = decode(
            line.topic,
            line.payload,
            received_at=received or self.watermark,
            key=line.key,
            check_future=received is not None,
        )
        if isinstance(decoded, DeadLetter):
            self._dead_letter(decoded)
            return
        for event in decoded.events:
            self._apply(event, received)

    def reject_line(self, message: str) -> None:
        """Dead-letter a line of the file that is not a recording line at all."""
        self.lines += 1
        error = FieldError(loc="", msg=message, type="invalid_json")
        self._dead_letter(
            DeadLetter(
                reason="invalid_json",
                errors=[error],
                source_topic="recording",
                raw=message,
                received_at=self.watermark,
            )
        )

    def finish(self) -> None:
        """Settle alerts held back by late readings; dead-letter events still held for a
        manifest that never came."""
        for state in self.states.values():
            step = settle(state, self.config)
            for alert in step.alerts:
                self._alert(alert)
            for update in step.eta:
                self.eta.append(update)
                if self.listener is not None:
                    self.listener(update)
            for topic, _, _, text in state.pending:
                self._dead_letter(
                    DeadLetter(
                        reason="manifest_timeout",
                        errors=[
                            FieldError(
                                loc="shipment_id",
                                msg="the recording ended before the shipment's manifest arrived",
                                type="manifest_timeout",
                            )
                        ],
                        source_topic=topic,
                        key=state.shipment_id,
                        raw=text,
                        received_at=self.watermark,
                    )
                )
            state.pending = []

    def _apply(self, event: Event, received: datetime | None) -> None:
        kind = type(event).__name__
        self.events[kind] += 1
        moment = _event_time(event)
        if moment is not None and moment > self.watermark:
            self.watermark = moment
        if self.listener is not None:
            self.listener(event)
        step = apply(
            self.states.get(event.shipment_id),
            event,
            self.config,
            received_at=received or self.watermark,
        )
        if step.state is not None:
            self.states[event.shipment_id] = step.state
        for alert in step.alerts:
            self._alert(alert)
        for update in step.eta:
            self.eta.append(update)
            if self.listener is not None:
                self.listener(update)
        for letter in step.dead_letters:
            self._dead_letter(letter)

    def _alert(self, alert: Alert) -> None:
        self.alerts.append(alert)
        if self.listener is not None:
            self.listener(alert)

    def _dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)
        if self.listener is not None:
            self.listener(letter)

    def final_alerts(self) -> dict[str, Alert]:
        """The last version of every alert id, in first-emission order."""
        final: dict[str, Alert] = {}
        for alert in self.alerts:
            final[alert.alert_id] = alert
        return final

    def summary(self) -> dict[str, Any]:
        """Counts of what the replay read and produced (deterministic for the same input)."""
        final = self.final_alerts().values()
        return {
            "lines": self.lines,
            "events": dict(sorted(self.events.items())),
            "shipments": len(self.states),
            "shipments_without_manifest": sum(1 for s in self.states.values() if not s.manifest),
            "alert_versions": len(self.alerts),
            "alerts": len(final),
            "alerts_by_type": dict(sorted(Counter(a.type for a in final).items())),
            "alerts_by_severity": dict(sorted(Counter(a.severity for a in final).items())),
            "alerts_by_status": dict(sorted(Counter(a.status for a in final).items())),
            "eta_updates": len(self.eta),
            "dead_letters": len(self.dead_letters),
            "dead_letters_by_reason": dict(
                sorted(Counter(d.reason for d in self.dead_letters).items())
            ),
        }


def _event_time(event: Event) -> datetime | None:
    if isinstance(event, TelemetryReading):
        return event.recorded_at
    if isinstance(event, CustodyEvent):
        return event.occurred_at
    if isinstance(event, ShipmentManifest):
        return event.created_at
    return None
