"""The seek fence: nothing fetched before a partition's latest seek reaches the streams."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.seek_fence import (
    ReadOffsets,
    fence,
    handed_of,
    put_back_undelivered,
    read_offsets,
    seeks_of,
    sought,
)

P0 = TP("telemetry", 0)
P1 = TP("telemetry", 1)


def _records(*offsets: int) -> list[Any]:
    return [SimpleNamespace(offset=o) for o in offsets]


def test_a_batch_is_handed_over_whole_when_no_seek_comes_after_it() -> None:
    thread = SimpleNamespace()
    batch = fence(thread, {P0: _records(5, 6, 7), P1: _records(1)})
    assert [r.offset for r in batch[P0]] == [5, 6, 7]
    assert [r.offset for r in batch[P1]] == [1]
    assert len(batch[P0]) == 3


def test_a_seek_stops_the_rest_of_its_partitions_batch_only() -> None:
    thread = SimpleNamespace()
    batch = fence(thread, {P0: _records(5, 6, 7), P1: _records(1, 2)})
    p0, p1 = iter(batch[P0]), iter(batch[P1])
    assert next(p0).offset == 5
    sought(thread, [P0])  # on the consumer thread, while the event loop hands P0 over
    assert list(p0) == []
    assert [r.offset for r in p1] == [1, 2]
    # what the consumer fetches after the seek is current again
    assert [r.offset for r in fence(thread, {P0: _records(3, 4)})[P0]] == [3, 4]


def test_the_hand_over_of_a_record_from_before_a_seek_does_not_move_the_read_offset() -> None:
    thread = SimpleNamespace()
    consumer = SimpleNamespace(_read_offset={P1: 9}, _thread=thread)
    offsets = read_offsets(consumer)
    assert consumer._read_offset is offsets and offsets[P1] == 9
    assert offsets[P0] is None  # unset reads as None, as Faust's defaultdict gave
    record = next(iter(fence(thread, {P0: _records(7000)})[P0]))
    sought(thread, [P0])  # the seek back runs while that record is being handed over
    offsets.reset(P0, 1000)
    offsets[P0] = record.offset  # the drain loop's note once the hand-off ends
    assert offsets[P0] == 1000  # the records fetched again from 1000 are not dropped
    current = next(iter(fence(thread, {P0: _records(1000)})[P0]))
    offsets[P0] = current.offset
    assert offsets[P0] == 1000
    offsets[P0] = 1001  # a value other than the record handed over (Faust's own seek) is kept
    assert offsets[P0] == 1001


def test_the_read_offsets_are_made_once_per_consumer_and_share_the_threads_counts() -> None:
    thread = SimpleNamespace()
    consumer = SimpleNamespace(_read_offset={}, _thread=thread)
    first = read_offsets(consumer)
    assert read_offsets(consumer) is first
    assert isinstance(first, ReadOffsets)
    assert first.seeks is seeks_of(thread) and first.handed is handed_of(thread)


def _faust(
    flowing: bool = True, active: set[TP] | None = None, buffered: set[TP] | None = None
) -> Any:
    """The fields of Faust's consumer that ``Consumer.getmany`` decides hand-over by."""
    return SimpleNamespace(
        flow_active=flowing,
        _active_partitions=set() if active is None else active,
        _buffered_partitions=buffered or set(),
    )


class _Kafka:
    def __init__(self) -> None:
        self.seeks: list[tuple[TP, int]] = []

    def seek(self, tp: TP, offset: int) -> None:
        self.seeks.append((tp, offset))


def test_records_faust_hands_over_are_returned_as_fetched() -> None:
    kafka = _Kafka()
    records = {P0: _records(4, 5), P1: _records(0)}
    assert put_back_undelivered(_faust(active={P0, P1}), kafka, records) == records
    assert kafka.seeks == []


def test_records_fetched_once_the_flow_stopped_are_put_back() -> None:
    """The rebalance case: a fetch started before it returns the changelog record the
    recovery just sought to, while the flow is still stopped; dropped by Faust, it would never
    reach the recovery."""
    kafka = _Kafka()
    records = {P1: _records(0), P0: _records(7)}
    assert put_back_undelivered(_faust(flowing=False), kafka, records) == {}
    assert sorted(kafka.seeks) == sorted([(P1, 0), (P0, 7)])


def test_records_of_paused_partitions_are_put_back_the_others_returned() -> None:
    kafka = _Kafka()
    records = {P0: _records(3), P1: _records(2, 3)}
    assert put_back_undelivered(_faust(active={P0}), kafka, records) == {P0: records[P0]}
    assert kafka.seeks == [(P1, 2)]


def test_records_of_buffered_partitions_are_returned() -> None:
    """Faust hands over a partition taken out of the active ones for a full buffer."""
    kafka = _Kafka()
    records = {P0: _records(3)}
    assert put_back_undelivered(_faust(buffered={P0}), kafka, records) == records
    assert kafka.seeks == []
