"""The latency phase's offered load: paced readings, probe alerts matched to their send times."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson

from schemas.alert import Alert
from streams.bench import data
from streams.partitioning import partition_for
from streams.settings import Settings
from streams.topic_reader import read_records
from streams.topics import Topic, topic_name

PROBES = 50
"""Probe shipments whose every reading flips an excursion, so every one yields an alert."""

TICKS_PER_S = 100
"""The load is offered in bursts this many times a second."""


class Sample(NamedTuple):
    """One probe reading's latency: when it was sent (epoch s) and how long until its alert
    was on the topic (ms)."""

    sent_s: float
    ms: float


def p50_by_second(samples: list[Sample]) -> list[float]:
    """The median latency of the probes sent in each second of the phase, in order (a
    second whose probes yielded no sample is left out): a pipeline that keeps up reads flat,
    one that falls behind the offered load grows second by second, and a stall at the
    phase's start shows as a peak that drains."""
    if not samples:
        return []
    first = min(sample.sent_s for sample in samples)
    seconds: dict[int, list[float]] = {}
    for sample in samples:
        seconds.setdefault(int(sample.sent_s - first), []).append(sample.ms)
    return [round(statistics.median(seconds[k]), 1) for k in sorted(seconds)]


@dataclass(frozen=True)
class OfferedLoad:
    """``rate`` readings/s for ``seconds``; the readings that are not probes continue the
    backlog (``backlog_events`` readings over ``shipments``, from ``start``)."""

    rate: int
    seconds: float
    shipments: int
    backlog_events: int
    start: datetime

    def filler(self, n: int) -> tuple[int, int]:
        """Shipment index and step of the ``n``-th reading that is not a probe: round-robin
        over every backlog shipment, each going on from the step after its last backlog
        reading (a skipped step is a sequence gap: an alert per shipment)."""
        index = n % self.shipments
        return index, data.next_step(self.backlog_events, self.shipments, index) + (
            n // self.shipments
        )


def latency(settings: Settings, plan: OfferedLoad) -> tuple[list[Sample], float]:
    """Offer ``plan``; 10 % of the readings go to probe shipments (alternating -140 / -185 °C)
    and each probe reading's alert is matched to its send time by (shipment, reading time).
    Returns the latencies (with their send times) and the rate actually offered (the
    producer shares the CPU).

    A probe reading that shares a processor batch with the next one of its shipment has no
    alert of its own (the batch publishes the shipment's last version), so not every probe
    yields a sample. The alerts topic is read until every probe is matched, or until a read
    a second after the last finds nothing new (the pipeline caught up), or for 60 s."""
    sent_at, offered = asyncio.run(_offer(settings, plan))
    deadline = time.monotonic() + 60
    samples: list[Sample] = []
    while sent_at and time.monotonic() < deadline:
        found = len(samples)
        for record in read_records(settings, Topic.ALERTS, timeout=120):
            alert = Alert.model_validate_json(record.value)
            key = (alert.shipment_id, _stamp(alert.updated_at))
            if key in sent_at:
                sent = sent_at.pop(key)
                samples.append(Sample(sent, record.timestamp - sent * 1000))
        if samples and len(samples) == found:
            break
        time.sleep(1)
    return samples, offered


async def _offer(
    settings: Settings, plan: OfferedLoad
) -> tuple[dict[tuple[str, str], float], float]:
    """Send the load, a record batch per partition every tick, through aiokafka's batch API:
    about 3 us of CPU per reading where kafka-python's ``send`` took about 57 us (at 5,000/s
    that was 0.3 of the machine's 2 cores, taken from the pipeline it measures)."""
    from aiokafka import AIOKafkaProducer

    partitions = settings.topics.partitions
    telemetry = topic_name(settings, Topic.TELEMETRY)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        probe_ids = [probe_id(i) for i in range(PROBES)]
        manifests = topic_name(settings, Topic.SHIPMENTS)
        for index, sid in enumerate(probe_ids):
            await producer.send_and_wait(
                manifests, probe_manifest(sid, index, plan.start), key=sid.encode("utf-8")
            )
        sent_at: dict[tuple[str, str], float] = {}
        delivered: list[asyncio.Future[Any]] = []
        per_tick = max(1, plan.rate // TICKS_PER_S)
        started = time.monotonic()
        n = 0
        for tick in range(int(plan.seconds * TICKS_PER_S)):
            batches: dict[int, Any] = {}
            for _ in range(per_tick):
                if n % 10 == 0:
                    sid, seq = probe_ids[(n // 10) % PROBES], n // (10 * PROBES)
                    value, recorded = probe_reading(sid, seq, datetime.now(tz=UTC))
                    sent_at[(sid, recorded)] = time.time()
                else:
                    index, step = plan.filler(n - n // 10 - 1)
                    sid = data.shipment_id(index)
                    value = data.reading(index, step, -182.0, plan.start)
                partition, key = partition_for(sid, partitions), sid.encode("utf-8")
                batch = batches.get(partition)
                if batch is None:
                    batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:  # full
                    delivered.append(
                        await producer.send_batch(batch, telemetry, partition=partition)
                    )
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
                batches[partition] = batch
                n += 1
            for partition, batch in batches.items():
                delivered.append(await producer.send_batch(batch, telemetry, partition=partition))
            delay = started + (tick + 1) / TICKS_PER_S - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offered load is the point here
        await asyncio.gather(*delivered)
        return sent_at, n / (time.monotonic() - started)
    finally:
        await producer.stop()


def probe_id(index: int) -> str:
    """The ``index``-th probe shipment's id."""
    return f"BLAT-{index:04d}"


def probe_manifest(sid: str, index: int, start: datetime) -> bytes:
    """The manifest of probe shipment ``sid`` (the ``index``-th), as the backlog's."""
    value = orjson.loads(data.manifest(index, start))
    value.update(shipment_id=sid, coi_id=f"COI-LAT-{index:04d}", logger_id=f"LOG-{sid}")
    return orjson.dumps(value)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def probe_reading(sid: str, seq: int, now: datetime) -> tuple[bytes, str]:
    """A probe reading stamped now (to the microsecond), alternating outside and inside."""
    recorded = _stamp(now)
    value = {
        "event_id": f"LOG-{sid}:{seq}",
        "shipment_id": sid,
        "logger_id": f"LOG-{sid}",
        "seq": seq,
        "recorded_at": recorded,
        "temperature_c": -140.0 if seq % 2 == 0 else -185.0,
    }
    return orjson.dumps(value), recorded
