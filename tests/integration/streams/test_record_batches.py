"""RecordBatches on the real broker: records land where ``send`` puts them, in order, or fail."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.kafka_clients import ensure_topics
from streams.record_batches import RecordBatches
from streams.settings import Settings
from streams.topic_reader import read_records
from streams.topics import Topic, topic_name


@pytest.fixture
async def small_batches(isolated_settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    """A producer whose batches hold 1 KB, so a few records fill one."""
    ensure_topics(isolated_settings)
    producer = AIOKafkaProducer(
        bootstrap_servers=isolated_settings.kafka.bootstrap, linger_ms=5, max_batch_size=1024
    )
    await producer.start()
    yield producer
    await producer.stop()


async def test_records_land_where_send_puts_them_in_the_order_added(
    isolated_settings: Settings, small_batches: AIOKafkaProducer
) -> None:
    batched = topic_name(isolated_settings, Topic.ALERTS)
    sent = topic_name(isolated_settings, Topic.ETA)
    keys = [b"SHP-%03d" % n for n in range(20)]
    batches = RecordBatches(small_batches)
    one_by_one = []
    for i in range(200):
        key = keys[i % len(keys)]
        value = None if i == 7 else b"%04d" % i + b"." * 300
        headers = [("n", b"%d" % i)]
        await batches.add(batched, key, value, headers=headers)
        one_by_one.append(await small_batches.send(sent, value, key=key, headers=headers))
    futures = await batches.flush()
    await asyncio.gather(*futures, *one_by_one)
    assert await batches.flush() == []  # nothing left open

    landed = read_records(isolated_settings, Topic.ALERTS)
    expected = read_records(isolated_settings, Topic.ETA)
    assert len(landed) == len(expected) == 200
    partition_by_send = {r.key: r.partition for r in expected}
    assert {r.key: r.partition for r in landed} == partition_by_send
    assert len(set(partition_by_send.values())) > 1
    per_partition: dict[int, list[int]] = defaultdict(list)
    for record in sorted(landed, key=lambda r: (r.partition, r.offset)):
        n = int(dict(record.headers)["n"])
        per_partition[record.partition].append(n)
        assert record.value == (None if n == 7 else b"%04d" % n + b"." * 300)
    for order in per_partition.values():
        assert order == sorted(order)  # each partition in the order added
        assert len(order) * 300 > 1024  # more than one full batch on the way


async def test_a_batch_the_broker_refuses_fails_its_future(
    isolated_settings: Settings, small_batches: AIOKafkaProducer
) -> None:
    topic = topic_name(isolated_settings, Topic.ALERTS)
    batches = RecordBatches(small_batches)
    await batches.add(topic, b"SHP-1", b"x" * (2 * 1024 * 1024), partition=0)  # over 1 MB
    (future,) = await batches.flush()
    with pytest.raises(KafkaError):
        await future
