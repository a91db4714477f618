"""The alert versions already on the alerts topic, for the partitions a worker takes over.

A worker that crashed published alerts after its last checkpoint. The next owner of its
partitions applies the same events again from the changelog's states, but may read the
input topics in another interleaving (a custody event before a reading instead of after)
and derive other contents for the same alert version. Before it applies anything on a
partition, the processor reads back what the alerts topic has for that partition since the
partition's last checkpoint, and fences those versions in the shipments' alert books
(``alerts.lifecycle.AlertBook.fence_published``): an emission that would give one of them
other contents is numbered after the last one.

Where the read starts: the last checkpoint of a partition is the newest record of its
changelog partition, stamped by the worker that wrote it. Every alert its states do not
reflect was published after the checkpoint began, which is at most ``FENCE_MARGIN_S``
before that stamp (the checkpoint's encoding, and clock skew between workers). Reading
more than that is harmless: versions a book emitted itself are not fenced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Set
from typing import Any

import structlog
from kafka.errors import KafkaError
from pydantic import ValidationError

from schemas.alert import Alert, content_digest
from streams.settings import Settings
from streams.topics import Topic, topic_name

__all__ = [
    "FENCE_MARGIN_S",
    "PublishedVersions",
    "ReadPublished",
    "kafka_reader",
    "no_versions_published",
    "published_versions",
]

FENCE_MARGIN_S = 120.0
"""How long before a partition's newest changelog record the read-back starts: a checkpoint
encodes its states for up to a few seconds after it took them (2.3-2.7 s for 10,050 states
in the benchmark's latency phase), and workers' clocks may differ by a little."""

READ_TIMEOUT_S = 60.0
READ_ATTEMPTS = 3
RETRY_PAUSE_S = 1.0
"""The pause before the n-th retry is n times this."""

PublishedVersions = dict[str, dict[str, dict[int, str]]]
"""``shipment id -> alert id -> version -> content digest`` of alerts on the topic."""

ReadPublished = Callable[[Set[int]], Awaitable[PublishedVersions]]
"""Reads the published alert versions of some partitions."""

log = structlog.get_logger(__name__)


def published_versions(values: Iterable[bytes]) -> PublishedVersions:
    """The versions and content digests of alert records as read from the topic. A record
    that is not a valid alert, or whose id is not ``<shipment_id>:<type>:<n>``, is skipped
    (nothing the processor wrote)."""
    out: PublishedVersions = {}
    for value in values:
        try:
            alert = Alert.model_validate_json(value)
        except ValidationError:
            log.warning("alerts.unreadable_record", bytes=len(value))
            continue
        if not _processor_id(alert):
            log.warning("alerts.foreign_alert_id", alert_id=alert.alert_id)
            continue
        versions = out.setdefault(alert.shipment_id, {}).setdefault(alert.alert_id, {})
        versions[alert.version] = content_digest(alert)
    return out


def _processor_id(alert: Alert) -> bool:
    """The alert's id is one the processor gives (``alerts.lifecycle.AlertBook``)."""
    number = alert.alert_id.removeprefix(f"{alert.shipment_id}:{alert.type}:")
    return number != alert.alert_id and number.isdigit()


async def no_versions_published(partitions: Set[int]) -> PublishedVersions:
    """For a processor without a broker (flows tests): nothing was published before it."""
    return {}


def kafka_reader(settings: Settings, changelog: str) -> ReadPublished:
    """Reads back from the broker, in a thread (kafka-python blocks)."""

    async def read(partitions: Set[int]) -> PublishedVersions:
        started = time.monotonic()
        for attempt in range(1, READ_ATTEMPTS + 1):
            try:
                versions, records = await asyncio.to_thread(
                    _read_back, settings, changelog, sorted(partitions)
                )
                break
            except (KafkaError, TimeoutError) as exc:
                log.warning("process.published_versions_retry", attempt=attempt, error=repr(exc))
                await asyncio.sleep(attempt * RETRY_PAUSE_S)
        else:
            # the broker is not answering: go on as without a fence (a version re-derived in
            # another interleaving could then be published with other contents)
            log.error("process.published_versions_unread", partitions=sorted(partitions))
            return {}
        log.info(
            "process.published_versions_read",
            partitions=sorted(partitions),
            records=records,
            shipments=len(versions),
            seconds=round(time.monotonic() - started, 3),
        )
        return versions

    return read


def _read_back(
    settings: Settings, changelog: str, partitions: list[int]
) -> tuple[PublishedVersions, int]:
    """The published versions of ``partitions`` and how many records they came from, read
    and parsed off the event loop."""
    values = _read_alerts(settings, changelog, partitions)
    return published_versions(values), len(values)


def _read_alerts(settings: Settings, changelog: str, partitions: list[int]) -> list[bytes]:
    """The alert records of ``partitions`` from ``FENCE_MARGIN_S`` before each one's newest
    changelog record (from the start when it has none) to the topic's current end."""
    from kafka import KafkaConsumer, TopicPartition

    from streams.kafka_clients import kafka_python_config

    consumer: Any = KafkaConsumer(**kafka_python_config(settings.kafka), enable_auto_commit=False)
    try:
        checkpoints = [TopicPartition(changelog, p) for p in partitions]
        since = {p: 0 for p in partitions}
        ends = consumer.end_offsets(checkpoints)
        last = {tp: end - 1 for tp, end in ends.items() if end > 0}
        for tp, record in _records_at(consumer, last).items():
            since[tp.partition] = max(0, record.timestamp - int(FENCE_MARGIN_S * 1000))
        alerts = topic_name(settings, Topic.ALERTS)
        tps = [TopicPartition(alerts, p) for p in partitions]
        starts = consumer.offsets_for_times({tp: since[tp.partition] for tp in tps})
        ends = consumer.end_offsets(tps)
        wanted = {tp: (found.offset, ends[tp]) for tp, found in starts.items() if found}
        consumer.assign(list(wanted))
        for tp, (start, _) in wanted.items():
            consumer.seek(tp, start)
        values: list[bytes] = []
        deadline = time.monotonic() + READ_TIMEOUT_S
        while any(consumer.position(tp) < end for tp, (_, end) in wanted.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {alerts} back within {READ_TIMEOUT_S} s")
            for tp, batch in consumer.poll(timeout_ms=500, max_records=50_000).items():
                end = wanted[tp][1]
                values.extend(r.value for r in batch if r.offset < end and r.value is not None)
        return values
    finally:
        consumer.close()


def _records_at(consumer: Any, offsets: dict[Any, int]) -> dict[Any, Any]:
    """The record at each partition's offset, or the first after it; none for a partition
    that has none up to its end."""
    if not offsets:
        return {}
    consumer.assign(list(offsets))
    for tp, offset in offsets.items():
        consumer.seek(tp, offset)
    ends = consumer.end_offsets(list(offsets))
    found: dict[Any, Any] = {}
    deadline = time.monotonic() + READ_TIMEOUT_S
    while any(tp not in found and consumer.position(tp) < ends[tp] for tp in offsets):
        if time.monotonic() > deadline:
            raise TimeoutError("could not read the changelog's newest records")
        for tp, batch in consumer.poll(timeout_ms=500, max_records=len(offsets)).items():
            if batch:
                found.setdefault(tp, batch[0])
    return found
