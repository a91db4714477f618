"""Offset continuity: a message the consumer skipped is read again, never silently lost."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.continuity import (
    RESEEK_SECONDS,
    SEEKS_PER_HOLE,
    OffsetGuard,
    StallWatch,
    read_again,
)

P0 = TP("telemetry", 0)
P1 = TP("telemetry", 1)


def _events(tp: TP, *offsets: int, generation: int = 1) -> list[Any]:
    """Events of ``tp`` at ``offsets``, read in consumer ``generation``."""
    return [
        SimpleNamespace(message=SimpleNamespace(tp=tp, offset=o, generation_id=generation))
        for o in offsets
    ]


def _offsets(events: list[Any]) -> list[int]:
    return [e.message.offset for e in events]


def _committed(offsets: dict[TP, int]) -> Any:
    return offsets.get


def test_consecutive_offsets_from_the_committed_one_are_all_admitted() -> None:
    guard = OffsetGuard()
    admitted = guard.admit(_events(P0, 100, 101, 102), 1, _committed({P0: 100}), 0.0)
    assert _offsets(admitted.events) == [100, 101, 102]
    assert admitted.seek == {}
    assert _offsets(guard.admit(_events(P0, 103), 1, _committed({P0: 100}), 0.0).events) == [103]


def test_a_skipped_offset_stops_the_partition_there_and_asks_for_a_seek_back() -> None:
    guard = OffsetGuard()
    batch = _events(P0, 100, 101, 103, 104) + _events(P1, 7)
    admitted = guard.admit(batch, 1, _committed({P0: 100, P1: 7}), 0.0)
    assert _offsets(admitted.events) == [100, 101, 7]
    assert admitted.seek == {P0: 102}


def test_after_the_seek_the_missing_offset_and_the_rest_are_admitted() -> None:
    guard = OffsetGuard()
    assert guard.admit(_events(P0, 100, 101, 103), 1, _committed({P0: 100}), 50.0).seek == {P0: 102}
    # events read before the seek still come out of the buffer: skipped, no second seek
    # (it would throw away what the first one fetched)
    queued = guard.admit(_events(P0, 104, 105), 1, _committed({}), 51.0)
    assert (queued.events, queued.seek, queued.awaiting) == ([], {}, 2)
    admitted = guard.admit(_events(P0, 102, 103, 104), 1, _committed({}), 52.0)
    assert _offsets(admitted.events) == [102, 103, 104]
    assert admitted.seek == {}
    # the hole is closed: a later gap is a new hole, sought at once
    assert guard.admit(_events(P0, 106), 1, _committed({}), 53.0).seek == {P0: 105}


def test_a_missing_offset_that_does_not_come_after_the_seek_is_sought_again() -> None:
    guard = OffsetGuard()
    guard.admit(_events(P0, 100, 102), 1, _committed({P0: 100}), 0.0)
    assert guard.admit(_events(P0, 103), 1, _committed({}), RESEEK_SECONDS - 1).seek == {}
    again = guard.admit(_events(P0, 103), 1, _committed({}), RESEEK_SECONDS + 1)
    assert again.seek == {P0: 101}
    assert again.awaiting == 0


def test_a_hole_before_the_first_event_of_a_generation_is_found_from_the_committed_offset() -> None:
    guard = OffsetGuard()
    admitted = guard.admit(_events(P0, 103, 104, generation=5), 5, _committed({P0: 102}), 0.0)
    assert admitted.events == []
    assert admitted.seek == {P0: 102}


def test_events_read_again_are_admitted_for_the_engine_to_ignore() -> None:
    guard = OffsetGuard()
    guard.admit(_events(P0, 100, 101, 102), 1, _committed({P0: 100}), 0.0)
    admitted = guard.admit(_events(P0, 101, 102, 103), 1, _committed({}), 0.0)
    assert _offsets(admitted.events) == [101, 102, 103]
    assert guard.admit(_events(P0, 104), 1, _committed({}), 0.0).seek == {}


def test_a_new_generation_starts_again_from_the_committed_offset() -> None:
    guard = OffsetGuard()
    guard.admit(_events(P0, 100, 101), 1, _committed({P0: 100}), 0.0)
    # another worker moved the partition on meanwhile: the new start is its commit
    admitted = guard.admit(_events(P0, 250, 251, generation=2), 2, _committed({P0: 250}), 0.0)
    assert _offsets(admitted.events) == [250, 251]


def test_without_a_committed_offset_the_first_event_read_is_the_start() -> None:
    guard = OffsetGuard()
    admitted = guard.admit(_events(P0, 0, 1), 1, _committed({}), 0.0)
    assert _offsets(admitted.events) == [0, 1]
    assert guard.admit(_events(P0, 3), 1, _committed({}), 0.0).seek == {P0: 2}


def test_a_hole_that_stays_after_many_seeks_is_reported_gone_and_passed() -> None:
    guard = OffsetGuard()
    now = 0.0
    for _ in range(SEEKS_PER_HOLE):
        assert guard.admit(_events(P0, 40), 1, _committed({P0: 10}), now).seek == {P0: 10}
        now += RESEEK_SECONDS
    admitted = guard.admit(_events(P0, 40, 41), 1, _committed({P0: 10}), now)
    assert _offsets(admitted.events) == [40, 41]
    assert admitted.gone == {P0: (10, 39)}


def test_due_is_the_next_offset_to_apply_in_the_current_generation_only() -> None:
    guard = OffsetGuard()
    assert guard.due(P0, 1) is None  # nothing applied yet
    guard.admit(_events(P0, 100, 101), 1, _committed({P0: 100}), 0.0)
    assert guard.due(P0, 1) == 102
    assert guard.due(P1, 1) is None
    # after a rebalance the consumer starts again from the committed offset: no claim
    assert guard.due(P0, 2) is None


def test_events_read_in_an_older_generation_are_dropped_even_when_the_partition_came_back() -> None:
    # P1 was revoked and assigned to this worker again: the consumer reads it again from its
    # committed offset, so what was read before the rebalance is neither applied nor acked
    guard = OffsetGuard()
    stale, fresh = _events(P1, 7, generation=3), _events(P1, 7, generation=4)
    admitted = guard.admit(stale + fresh, 4, _committed({P1: 7}), 0.0)
    assert admitted.events == fresh
    assert admitted.stale == 1
    assert guard.due(P1, 4) == 8


def test_a_partition_behind_by_the_same_count_for_a_while_is_read_again_once_per_period() -> None:
    tail = TP("t.custody.v1", 2)
    watch = StallWatch(after=10.0)
    assert watch.observe({tail: 1}, now=0.0) == []
    assert watch.observe({tail: 1}, now=6.0) == []
    assert watch.observe({tail: 1}, now=10.0) == [tail]
    assert watch.observe({tail: 1}, now=15.0) == []  # read again: another period
    assert watch.observe({tail: 1}, now=20.0) == [tail]


def test_a_partition_caught_up_or_moving_starts_its_period_again() -> None:
    tp = TP("t.telemetry.v1", 0)
    watch = StallWatch(after=10.0)
    watch.observe({tp: 3}, now=0.0)
    watch.observe({tp: 0}, now=5.0)  # applied up to the end
    assert watch.observe({tp: 3}, now=12.0) == []  # new messages: the period starts now
    assert watch.observe({tp: 3}, now=22.0) == [tp]


def test_nothing_is_stalled_while_the_agent_applies_other_partitions() -> None:
    """A backlog: the consumer serves a few partitions at a time while the others wait their
    turn, unchanged for longer than the period; they are not stalled."""
    waiting, applied = TP("t.telemetry.v1", 0), TP("t.telemetry.v1", 1)
    watch = StallWatch(after=10.0)
    assert watch.observe({waiting: 16_400, applied: 9_000}, now=0.0, progressed=True) == []
    assert watch.observe({waiting: 16_400, applied: 4_000}, now=10.0, progressed=True) == []
    assert watch.observe({waiting: 16_400}, now=20.0, progressed=True) == []
    # the agent has gone idle and the partition still has not moved: its period starts at
    # the last progress, not when it was first seen
    assert watch.observe({waiting: 16_400}, now=25.0) == []
    assert watch.observe({waiting: 16_400}, now=30.0) == [waiting]


async def test_reading_again_seeks_on_the_consumers_own_thread() -> None:
    """``seek_wait`` runs on the consumer thread; ``seek`` would race its fetcher."""

    class Consumer:
        def __init__(self) -> None:
            self.calls: list[tuple[str, object]] = []

        async def seek_wait(self, partitions: dict[TP, int]) -> None:
            self.calls.append(("seek_wait", partitions))

        async def seek(self, tp: TP, offset: int) -> None:
            self.calls.append(("seek", (tp, offset)))

    class App:
        consumer = Consumer()

    tp = TP("t.custody.v1", 2)
    await read_again(App(), tp, 41)  # type: ignore[arg-type]  # the consumer is all it uses
    assert App.consumer.calls == [("seek_wait", {tp: 41})]
