"""Records for Kafka appended into one batch per topic partition, handed to the producer whole."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from schemas.errors import ConfigError
from streams.partitioning import key_partition

__all__ = ["BatchProducer", "RecordBatches", "compressed_batches"]

Headers = list[tuple[str, bytes]]


class BatchProducer(Protocol):
    """What ``RecordBatches`` uses of ``aiokafka.AIOKafkaProducer``."""

    def create_batch(self) -> Any: ...

    async def send_batch(
        self, batch: Any, topic: str, *, partition: int
    ) -> asyncio.Future[Any]: ...

    async def partitions_for(self, topic: str) -> set[int]: ...


class RecordBatches:
    """Records appended into one aiokafka ``BatchBuilder`` per topic partition (``add``) and
    handed to the producer a batch at a time (``flush``, or ``add`` when a batch is full).

    ``producer.send`` costs 15.8 µs of CPU per 400-byte record here and 33.8 per 4 KB one
    (the metadata wait, a pure-Python murmur2 for keyed records, a future per record and
    the gather over them), appended to a batch 5.3 and 14.4 (``benchmarks/
    bench_record_batches.py``, the local broker). Records of one topic partition keep the
    order they were added in: aiokafka's accumulator takes a partition's next batch only once
    the one before has drained, so ``add`` and ``flush`` may wait for the broker. A record
    without a partition goes where ``producer.send`` would put it (Kafka's default
    partitioner over its key). Each future ``flush`` returns resolves once the broker has
    every record of its batch, or raises its error.
    """

    def __init__(
        self, producer: BatchProducer, *, new_batch: Callable[[], Any] | None = None
    ) -> None:
        self._producer = producer
        self._new_batch = producer.create_batch if new_batch is None else new_batch
        self._open: dict[tuple[str, int], Any] = {}
        self._sent: list[asyncio.Future[Any]] = []
        self._partitions: dict[str, list[int]] = {}

    async def add(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        """Append one record (``value`` None: a deletion) to its topic partition's batch."""
        if partition is None:
            partition = await self._partition(topic, key)
        tp = (topic, partition)
        batch = self._open.get(tp)
        if batch is None:
            batch = self._open[tp] = self._new_batch()
        if batch.append(key=key, value=value, timestamp=None, headers=headers or []) is None:
            self._sent.append(await self._producer.send_batch(batch, topic, partition=partition))
            batch = self._open[tp] = self._new_batch()
            # an empty batch takes any record, as producer.send's do (the broker refuses one
            # over its size limit, and that batch's future raises)
            batch.append(key=key, value=value, timestamp=None, headers=headers or [])

    async def flush(self) -> list[asyncio.Future[Any]]:
        """Hand every open batch to the producer; the futures of all batches since the last
        flush."""
        for (topic, partition), batch in self._open.items():
            self._sent.append(await self._producer.send_batch(batch, topic, partition=partition))
        sent, self._sent, self._open = self._sent, [], {}
        return sent

    async def _partition(self, topic: str, key: bytes | None) -> int:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = sorted(
                await self._producer.partitions_for(topic)
            )
        if key is None:
            return random.choice(partitions)  # noqa: S311  # spreads keyless records, as send does
        return partitions[key_partition(key, len(partitions))]


def compressed_batches(codec: str, batch_size: int) -> Callable[[], Any]:
    """New aiokafka batches (``BatchBuilder``, as ``AIOKafkaProducer.create_batch`` makes
    them) of at most ``batch_size`` bytes before compression, compressed with ``codec``
    (``gzip``, ``snappy``, ``lz4`` or ``zstd``) when sent, whatever the producer's own
    ``compression_type``: one producer then writes the outputs plain and the changelog
    compressed. Raises ``ConfigError`` for a codec without its library (aiokafka's extras)."""
    from aiokafka import codec as codecs
    from aiokafka.producer.message_accumulator import BatchBuilder
    from aiokafka.record.default_records import DefaultRecordBatch as Batch

    known: dict[str, tuple[Callable[[], bool], int]] = {
        "gzip": (codecs.has_gzip, Batch.CODEC_GZIP),
        "snappy": (codecs.has_snappy, Batch.CODEC_SNAPPY),
        "lz4": (codecs.has_lz4, Batch.CODEC_LZ4),
        "zstd": (codecs.has_zstd, Batch.CODEC_ZSTD),
    }
    if codec not in known:
        raise ConfigError(f"unknown compression codec {codec!r} (one of {sorted(known)})")
    available, attributes = known[codec]
    if not available():
        raise ConfigError(f"the {codec} codec's library is not installed (aiokafka[{codec}])")
    return partial(BatchBuilder, batch_size, attributes)
