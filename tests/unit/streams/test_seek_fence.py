"""The seek fence: nothing fetched before a partition's latest seek reaches the streams."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.seek_fence import ReadOffsets, fence, handed_of, read_offsets, seeks_of, sought

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
