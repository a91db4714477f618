"""Consumer-group lag: how far a group's committed offsets trail the end of its topics."""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from streams.kafka_clients import kafka_python_config
from streams.settings import Settings


def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """The log-end offset of every partition of the given topics."""
    consumer = KafkaConsumer(**kafka_python_config(settings.kafka), enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        return dict(consumer.end_offsets(partitions))
    finally:
        consumer.close()


def group_lag(settings: Settings, group_id: str, topics: Iterable[str]) -> int | None:
    """Messages of ``topics`` not committed by the group (uncommitted partitions count whole);
    None while the cluster cannot tell yet (a retriable error such as no coordinator)."""
    topics = list(topics)
    ends = end_offsets(settings, topics)
    admin = KafkaAdminClient(**kafka_python_config(settings.kafka))
    try:
        committed = admin.list_consumer_group_offsets(group_id)
    except KafkaError as exc:
        if getattr(exc, "retriable", False):
            return None  # e.g. the group coordinator of a fresh broker is still starting
        raise
    finally:
        admin.close()
    lag = 0
    for tp, end in ends.items():
        meta = committed.get(tp)
        position = meta.offset if meta is not None and meta.offset >= 0 else 0
        lag += max(0, end - position)
    return lag
