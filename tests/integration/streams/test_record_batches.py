"""RecordBatches on the real broker: records land where ``send`` puts them, in order, or fail;
compressed batches land compressed and read back intact."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from streams.kafka_clients import ensure_topics
from streams.record_batches import RecordBatches, compressed_batches
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


def _topic_of_small_batches(settings: Settings, name: str, max_bytes: int) -> None:
    """A compacted topic, as the changelog is, whose broker refuses a batch over ``max_bytes``
    as received (``max.message.bytes``: after compression)."""
    from kafka.admin import KafkaAdminClient, NewTopic

    from streams.kafka_clients import kafka_python_config

    admin = KafkaAdminClient(**kafka_python_config(settings.kafka))
    try:
        configs = {"cleanup.policy": "compact", "max.message.bytes": str(max_bytes)}
        admin.create_topics([NewTopic(name, 1, 1, topic_configs=configs)])
    finally:
        admin.close()


async def test_compressed_batches_land_compressed_and_read_back_intact(
    isolated_settings: Settings,
) -> None:
    """The changelog's way: batches zstd-compressed by ``compressed_batches``, sent by a
    producer that compresses nothing itself. A 200 KB batch of state-like records lands on a
    topic that refuses batches over 16 KB as received, where the same records sent plain are
    refused; kafka-python and aiokafka (the table's recovery) read them back unchanged."""
    name = topic_name(isolated_settings, Topic.ALERTS)
    _topic_of_small_batches(isolated_settings, name, 16 * 1024)
    readings = b",".join([b"[1796500000.0,-180.5,51.5072,-0.1276]"] * 50)
    records = [(b"SHP-%03d" % i, b'{"n": %d, "tail": [%s]}' % (i, readings)) for i in range(100)]
    assert sum(len(k) + len(v) for k, v in records) > 180 * 1024

    producer = AIOKafkaProducer(
        bootstrap_servers=isolated_settings.kafka.bootstrap,
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=5000,
    )
    await producer.start()
    try:
        plain = RecordBatches(producer)
        for key, value in records:
            await plain.add(name, key, value, partition=0)
        (refused,) = await plain.flush()
        with pytest.raises(KafkaError):
            await refused

        zstd = RecordBatches(producer, new_batch=compressed_batches("zstd", 256 * 1024))
        for key, value in records:
            await zstd.add(name, key, value, partition=0)
        (landed,) = await zstd.flush()
        await landed
    finally:
        await producer.stop()

    assert [(r.key, r.value) for r in read_records(isolated_settings, Topic.ALERTS)] == records
    consumer = AIOKafkaConsumer(bootstrap_servers=isolated_settings.kafka.bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(name, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        read: list[tuple[bytes | None, bytes | None]] = []
        for _ in range(10):  # a few fetches at most; each waits up to 1 s for records
            for batch in (await consumer.getmany(tp, timeout_ms=1000)).values():
                read += [(r.key, r.value) for r in batch]
            if len(read) >= len(records):
                break
        assert read == records
    finally:
        await consumer.stop()
