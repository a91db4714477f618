"""Which partition a shipment lives on: Kafka's default murmur2 partitioner over the shipment id."""

from __future__ import annotations

import functools

from kafka.partitioner.default import murmur2


@functools.lru_cache(maxsize=65_536)
def partition_for(shipment_id: str, partitions: int) -> int:
    """The partition the Java client, kafka-python and aiokafka all pick for this key
    (cached: every event of a shipment asks again)."""
    return key_partition(shipment_id.encode("utf-8"), partitions)


@functools.lru_cache(maxsize=65_536)
def key_partition(key: bytes, partitions: int) -> int:
    """The index, among ``partitions`` sorted partitions, that Kafka's default partitioner
    picks for ``key`` (cached: murmur2 is pure Python)."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions
