"""Records fetched before a seek of their partition are never handed to the streams, and
records fetched while Faust would not hand them over are fetched again.

Faust's consumer thread fetches batches of records; ``Consumer._drain_messages`` hands each
batch over message by message in the event loop's thread, noting the newest offset handed
over per partition (its read offset) and dropping any later record below it
("DROPPED MESSAGE ROFF"). A seek runs on the consumer thread while the event loop may still be
handing over a batch fetched before it: the rest of that batch goes on to the streams, moves
the read offset past the seek's target, and the records the seek fetches again are then
dropped. So a seek back reads nothing again (``continuity.read_again`` asked for 2,000
offsets again and got none, on the real broker), and Faust's own seek to the committed
offsets at a rebalance can leave a hole (what ``continuity.OffsetGuard`` guards against).

``fence_seeks`` numbers each partition's seeks on the consumer thread (``seek_wait``,
``seek_to_committed``, ``seek``, ``seek_to_beginning``) and stamps every fetched batch, on
the same thread, with its partitions' numbers when aiokafka returned it. The event loop hands
a record over only while its batch's number is still the partition's: the rest of a batch
fetched before a seek is not handed over (aiokafka returns only records from the new position
once a seek has run, so every later batch is current). Not handing a record over loses
nothing: it was fetched again by the seek, or lies before the position sought. The record
being handed over when the seek ran (its stream's buffer full, say) does not move the read
offset when its hand-off ends either (``ReadOffsets``): that was the last way a record from
before a seek made the consumer drop the records the seek fetched again.

A fetch can also return records Faust then drops without a seek of ours: Faust's fetcher
keeps running across a rebalance, so a fetch started before it (waiting up to a second on the
consumer thread, on Faust's live set of active partitions, which the rebalance empties:
aiokafka then returns records of any partition) can return during the new generation's table
recovery. ``Consumer.getmany`` drops what it returns while the flow is stopped or for a paused
partition, yet aiokafka's position has moved past it. A stream partition is sought to its
committed offset afterwards; a changelog partition is not, so a changelog record fetched
right after the recovery's seek never reached the recovery, which waited for it forever (a
delivery worker keeping two partitions when a second joined: 1 of 19 runs; 1 of 1 with the
fetch delayed past the seek). ``put_back_undelivered`` seeks such partitions back to their
first record returned, on the consumer thread before anything else runs there, so they are
fetched again once Faust reads them.

Checked against faust-streaming 0.15.3 and aiokafka 0.14.0 (constraints.txt).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from aiokafka.errors import IllegalStateError

_MARK = "_cryotrace_seek_fence"
_SEEKS = "_cryotrace_seeks"
_HANDED = "_cryotrace_handed"


class FencedRecords:
    """One partition's records of a fetched batch, handed over while no seek of the partition
    came after the batch (``seeks[tp]`` still equals ``stamp``)."""

    __slots__ = ("handed", "records", "seeks", "stamp", "tp")

    def __init__(
        self,
        tp: Any,
        records: list[Any],
        seeks: Mapping[Any, int],
        handed: MutableMapping[Any, tuple[int, int]],
    ) -> None:
        self.tp = tp
        self.records = records
        self.seeks = seeks
        self.handed = handed
        self.stamp = seeks.get(tp, 0)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Any]:
        seeks, handed, tp, stamp = self.seeks, self.handed, self.tp, self.stamp
        for record in self.records:
            if seeks.get(tp, 0) != stamp:
                return
            handed[tp] = (stamp, record.offset)
            yield record


class ReadOffsets(dict[Any, int | None]):
    """Faust's read offsets (``Consumer._read_offset``, None where unset, as its
    ``defaultdict`` gave), which the drain loop's note of a record handed over does not move
    when a seek of the record's partition came after the record was fetched."""

    def __init__(
        self,
        offsets: Mapping[Any, int | None],
        seeks: Mapping[Any, int],
        handed: Mapping[Any, tuple[int, int]],
    ) -> None:
        super().__init__(offsets)
        self.seeks = seeks
        self.handed = handed

    def __missing__(self, tp: Any) -> None:
        return None

    def __setitem__(self, tp: Any, offset: int | None) -> None:
        handed = self.handed.get(tp)
        if handed is not None and handed[1] == offset and handed[0] != self.seeks.get(tp, 0):
            return  # the drain loop noting a record fetched before the latest seek
        super().__setitem__(tp, offset)

    def reset(self, tp: Any, offset: int | None) -> None:
        """Set by a seek: always kept."""
        super().__setitem__(tp, offset)


def _kept_on(thread: Any, name: str) -> dict[Any, Any]:
    """The dict ``thread`` keeps as ``name``, made the first time."""
    kept: dict[Any, Any] | None = getattr(thread, name, None)
    if kept is None:
        kept = {}
        setattr(thread, name, kept)
    return kept


def seeks_of(thread: Any) -> MutableMapping[Any, int]:
    """The seek numbers per partition of one consumer thread."""
    return _kept_on(thread, _SEEKS)


def handed_of(thread: Any) -> MutableMapping[Any, tuple[int, int]]:
    """Per partition, the seek number and offset of the record last handed over."""
    return _kept_on(thread, _HANDED)


def read_offsets(consumer: Any) -> ReadOffsets:
    """The consumer's read offsets, made a ``ReadOffsets`` the first time."""
    current = consumer._read_offset
    if not isinstance(current, ReadOffsets):
        thread = consumer._thread
        current = ReadOffsets(current, seeks_of(thread), handed_of(thread))
        consumer._read_offset = current
    return current


def sought(thread: Any, partitions: Iterable[Any]) -> None:
    """Count one seek of each of ``partitions`` (call it on the consumer thread, just before
    aiokafka seeks them)."""
    seeks = seeks_of(thread)
    for tp in partitions:
        seeks[tp] = seeks.get(tp, 0) + 1


def put_back_undelivered(
    faust_consumer: Any, consumer: Any, records: Mapping[Any, list[Any]]
) -> dict[Any, list[Any]]:
    """The records of a fetch that Faust's ``Consumer.getmany`` will hand over as things stand
    (flow on, partition active or buffered); every other partition is sought back to its first
    record returned, to be fetched again. Call it on the consumer thread right after the fetch:
    nothing else runs there in between."""
    flowing = faust_consumer.flow_active
    active = faust_consumer._active_partitions
    buffered = faust_consumer._buffered_partitions
    delivered = {}
    for tp, batch in records.items():
        if flowing and (active is None or tp in active or tp in buffered):
            delivered[tp] = batch
        elif batch:
            with contextlib.suppress(IllegalStateError):  # no longer assigned: its owner's
                consumer.seek(tp, batch[0].offset)
    return delivered


def fence(thread: Any, records: Mapping[Any, list[Any]]) -> dict[Any, Any]:
    """A fetched batch with each partition's records fenced by its current seek number."""
    seeks, handed = seeks_of(thread), handed_of(thread)
    return {tp: FencedRecords(tp, list_, seeks, handed) for tp, list_ in records.items()}


def fence_seeks() -> None:
    """Patch Faust's aiokafka consumer thread as the module docstring says (idempotent;
    process-wide)."""
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread as Thread
    from faust.transport.drivers.aiokafka import Consumer

    if getattr(Thread, _MARK, False):
        return
    fetch_records = Thread._fetch_records
    seek = Thread.seek
    drain_messages = Consumer._drain_messages

    async def _drain_messages(self: Any, fetcher: Any) -> None:
        read_offsets(self)  # before the loop binds its methods
        await drain_messages(self, fetcher)

    async def _fetch_records(self: Any, consumer: Any, *args: Any, **kwargs: Any) -> Any:
        records = await fetch_records(self, consumer, *args, **kwargs)
        if not records:
            return records
        return fence(self, put_back_undelivered(self.consumer, consumer, records))

    async def _seek_wait(self: Any, consumer: Any, partitions: Mapping[Any, int]) -> None:
        # Faust's own, with the seeks counted first and the read offsets reset for sure
        sought(self, partitions)
        read = read_offsets(self.consumer)
        for tp, offset in partitions.items():
            consumer.seek(tp, offset)
            if offset > 0:
                read.reset(tp, offset)
            else:
                read.pop(tp, None)
        await asyncio.wait_for(
            asyncio.gather(*[consumer.position(tp) for tp in partitions]),
            timeout=self.app.conf.broker_request_timeout,
        )

    async def _seek_to_committed(self: Any, consumer: Any) -> Any:
        sought(self, consumer.assignment())
        return await consumer.seek_to_committed()

    async def seek_to_committed(self: Any) -> Any:
        return await self.call_thread(_seek_to_committed, self, self._ensure_consumer())

    async def _seek_to_beginning(self: Any, consumer: Any, partitions: tuple[Any, ...]) -> None:
        sought(self, partitions or consumer.assignment())
        await consumer.seek_to_beginning(*partitions)

    async def seek_to_beginning(self: Any, *partitions: Any) -> None:
        await self.call_thread(_seek_to_beginning, self, self._ensure_consumer(), partitions)

    def seek_(self: Any, partition: Any, offset: int) -> None:
        # Faust's own seek (cryotrace does not call it) from the event loop's thread, racing
        # the consumer thread as before: a batch returned between the count and the seek is
        # still handed over; every batch returned before the count is fenced
        sought(self, (partition,))
        seek(self, partition, offset)

    setattr(Thread, _MARK, True)
    Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]
    Thread._fetch_records = _fetch_records  # type: ignore[method-assign]
    Thread._seek_wait = _seek_wait  # type: ignore[method-assign]
    Thread.seek_to_committed = seek_to_committed  # type: ignore[method-assign]
    Thread.seek_to_beginning = seek_to_beginning  # type: ignore[method-assign]
    Thread.seek = seek_  # type: ignore[method-assign]
