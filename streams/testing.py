"""Test helpers shipped beside the code: real worker processes on isolated topics."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.testing import at
from schemas.alert import Alert
from schemas.recording import RecordingLine
from streams.settings import Settings
from streams.state_store import ChangelogRecord
from streams.supervise import WorkerProcess, settings_env, wait_until
from streams.topic_reader import read_records, read_topic
from streams.topics import Topic, topic_name

__all__ = [
    "ConsumedMessage",
    "PerRecordProducer",
    "StateTable",
    "StepClock",
    "WorkerProcess",
    "acking_app",
    "alert_diff",
    "final_alerts",
    "interleaved",
    "queued_event",
    "read_records",
    "read_topic",
    "recording_line",
    "running_worker",
    "same_outcome",
    "settings_env",
    "wait_until",
    "withdrawn_extras",
]


class StepClock:
    """A clock that moves ``step`` seconds each time it is read (for code that takes a clock:
    each timed span then lasts ``step``)."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class StateTable:
    """What ``streams.state_store.ShipmentStates`` uses of a Faust table, its data, and the
    changelog topic behind it, in memory (unit tests, in-process benchmarks). ``send`` gives
    the changelog a checkpoint's records as the broker keeps them (compacted: the newest
    value of each key; a deletion removes the key); ``recovered`` is the table a restarted
    worker's recovery reads from it (the states' records whole, where ``data`` has only the
    digests of those its worker stored)."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.changelog: dict[bytes, bytes] = {}

    def send(self, records: list[ChangelogRecord]) -> list[ChangelogRecord]:
        """Put ``records`` on the changelog; returns them (for ``ShipmentStates.stored``)."""
        for record in records:
            if record.value is None:
                self.changelog.pop(record.key, None)
            else:
                self.changelog[record.key] = record.value
        return records

    def recovered(self) -> StateTable:
        """The table recovery rebuilds from the changelog (the same changelog goes on)."""
        table = StateTable()
        table.data = dict(self.changelog)
        table.changelog = self.changelog
        return table


@dataclass(slots=True)
class ConsumedMessage:
    """The fields of a consumed Kafka message that ``streams.processor.process_batch`` reads,
    for feeding it without a broker (unit tests, in-process benchmarks)."""

    topic: str
    value: bytes
    partition: int
    offset: int
    key: bytes
    timestamp: float = 0.0
    headers: list[tuple[str, bytes]] = field(default_factory=list)


async def acking_app(name: str, topic: str, *sensors: Any) -> Any:
    """A Faust app without a broker whose conductor acks ``topic`` (as when an agent consumes
    it), with ``sensors`` added: for holding and acking consumed messages
    (``streams.held_messages``) in unit tests and in-process benchmarks."""
    import faust

    app = faust.App(name, broker="kafka://127.0.0.1:1")
    app.topics.add(app.topic(topic))
    await app.topics._update_indices()  # type: ignore[attr-defined]  # Conductor has it, ConductorT not
    for sensor in sensors:
        app.sensors.add(sensor)
    return app


async def queued_event(app: Any, offset: int, *, generation_id: int | None = None) -> Any:
    """The event a Faust app's consumer would queue for a telemetry message at ``offset``
    (decoded by ``RawBytes``, of the app's consumer generation unless ``generation_id``),
    for feeding ``streams.event_batches`` without a broker (unit tests, in-process benchmarks)."""
    from faust.types import Message

    from streams.raw_schema import RawBytes

    message = Message(
        topic=topic_name(Settings(), Topic.TELEMETRY),
        partition=0,
        offset=offset,
        timestamp=1_790_000_000.0,
        timestamp_type=0,
        headers=[],
        key=b"SHP-0001",
        value=b"{}",
        checksum=None,
        generation_id=app.consumer_generation_id if generation_id is None else generation_id,
    )
    return await RawBytes().compile(app)(message)


@dataclass(slots=True)
class _ListedBatch:
    """A batch of ``PerRecordProducer``: its records as appended, unbounded."""

    records: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = field(
        default_factory=list
    )

    def append(
        self,
        *,
        timestamp: float | None,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> bool:
        self.records.append((key, value, headers))
        return True


class PerRecordProducer:
    """A ``streams.record_batches.BatchProducer`` without a broker (flows tests): every record
    of a batch goes through ``send`` in order, which a subclass writes to decide that record's
    future (held, failed, confirmed); the batch's future waits for all of them."""

    partition_count = 4

    def create_batch(self) -> _ListedBatch:
        return _ListedBatch()

    async def send_batch(
        self, batch: _ListedBatch, topic: str, *, partition: int
    ) -> asyncio.Future[Any]:
        sent = [
            await self.send(topic, key, value, partition, None, headers)
            for key, value, headers in batch.records
        ]
        return asyncio.gather(*sent)

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self.partition_count))

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int,
        timestamp: float | None,
        headers: list[tuple[str, bytes]],
    ) -> asyncio.Future[Any]:
        """One record's future (a subclass's to decide)."""
        raise NotImplementedError


@contextmanager
def running_worker(
    settings: Settings,
    role: str,
    log_path: Path,
    extra_env: Mapping[str, str] | None = None,
    web_port: int | None = None,
) -> Iterator[WorkerProcess]:
    """Run a worker for the duration of a ``with`` block; always stopped afterwards."""
    worker = WorkerProcess(settings, role, log_path, extra_env or {}, web_port=web_port)
    try:
        yield worker
    finally:
        worker.stop()


def recording_line(topic: str, event: Any, received_minute: float) -> RecordingLine:
    """A recording line carrying ``event`` (a wire model), keyed by its shipment and received
    ``received_minute`` minutes after ``alerts.testing.T0``."""
    return RecordingLine(
        topic=topic,
        key=event.shipment_id,
        value=event.model_dump(mode="json"),
        received_at=at(received_minute),
    )


def final_alerts(alerts: Iterable[Alert]) -> dict[str, dict[str, Any]]:
    """The last version of every alert id, as JSON without ``version`` (live and offline
    interleave topics differently, so they may count versions differently)."""
    latest: dict[str, Alert] = {}
    for alert in alerts:
        known = latest.get(alert.alert_id)
        if known is None or alert.version >= known.version:
            latest[alert.alert_id] = alert
    return {
        alert_id: alert.model_dump(mode="json", exclude={"version"})
        for alert_id, alert in latest.items()
    }


def withdrawn_extras(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> set[str]:
    """Live-only alert ids whose final version is withdrawn (``final_alerts`` results).

    A live stream that pauses mid-recording (a rebalance, a broker restart) settles on the
    data it has: an alert raised then and withdrawn once the rest arrived is correct live
    behaviour that replay, reading the whole recording at once, never shows.
    """
    return {
        alert_id
        for alert_id, alert in actual.items()
        if alert_id not in expected and alert["details"].get("withdrawn") is True
    }


def interleaved(lines: Iterable[RecordingLine], rng: random.Random) -> list[RecordingLine]:
    """The lines with every topic's order kept and the topics mixed in random runs of 1-50
    lines (as live Kafka may read them: each topic partition in order, topics in any mix)."""
    queues: dict[str, list[RecordingLine]] = {}
    for line in lines:
        queues.setdefault(line.topic, []).append(line)
    mixed: list[RecordingLine] = []
    while queues:
        topic = rng.choice(sorted(queues))
        run = rng.randint(1, 50)
        mixed += queues[topic][:run]
        del queues[topic][:run]
        if not queues[topic]:
            del queues[topic]
    return mixed


def same_outcome(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    """Live final alerts equal replay's, apart from ``withdrawn_extras``."""
    extras = withdrawn_extras(expected, actual)
    return {k: v for k, v in actual.items() if k not in extras} == dict(expected)


def alert_diff(expected: Mapping[str, Any], actual: Mapping[str, Any], limit: int = 10) -> str:
    """A short human-readable difference between two ``final_alerts`` results."""
    lines = [f"missing: {sorted(set(expected) - set(actual))[:limit]}"]
    lines.append(f"unexpected: {sorted(set(actual) - set(expected))[:limit]}")
    for alert_id in sorted(set(expected) & set(actual)):
        if expected[alert_id] != actual[alert_id]:
            fields = {
                k: (expected[alert_id].get(k), actual[alert_id].get(k))
                for k in set(expected[alert_id]) | set(actual[alert_id])
                if expected[alert_id].get(k) != actual[alert_id].get(k)
            }
            lines.append(f"{alert_id}: {fields}")
            if len(lines) > limit + 2:
                break
    return "\n".join(lines)
