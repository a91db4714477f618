"""Read a whole topic, from its beginning to its current end (demo summary, benchmark, tests)."""

from __future__ import annotations

import time
from typing import Any

from streams.settings import Settings
from streams.topics import Topic


def read_records(settings: Settings, logical: Topic, timeout: float = 30.0) -> list[Any]:
    """Every record (kafka-python ConsumerRecord: value, timestamp ms, ...) of one topic, from
    the beginning to its current end."""
    from kafka import KafkaConsumer, TopicPartition

    from streams.kafka_clients import kafka_python_config
    from streams.topics import topic_name

    name = topic_name(settings, logical)
    consumer = KafkaConsumer(**kafka_python_config(settings.kafka), enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {name} to its end within {timeout} s")
            for batch in consumer.poll(timeout_ms=500, max_records=50_000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def read_topic(settings: Settings, logical: Topic, timeout: float = 30.0) -> list[bytes]:
    """Every message value of one topic, from the beginning to its current end."""
    return [record.value for record in read_records(settings, logical, timeout)]
