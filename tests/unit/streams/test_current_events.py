"""Events read before a rebalance are not processed after it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.process_agent import current_events

P0 = TP("telemetry", 0)
P1 = TP("telemetry", 1)


def _event(tp: TP, offset: int, generation: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, offset=offset, generation_id=generation))


def test_events_of_the_current_generation_and_owned_partitions_are_kept() -> None:
    events = [_event(P0, 1, 3), _event(P1, 1, 3)]
    assert current_events(events, set(), 3) == events


def test_events_of_a_revoked_partition_are_dropped_until_it_is_assigned_again() -> None:
    kept, revoked = _event(P0, 1, 3), _event(P1, 1, 3)
    assert current_events([kept, revoked], {P1}, 3) == [kept]


def test_events_read_in_an_older_generation_are_dropped_even_when_the_partition_came_back() -> None:
    # P1 was revoked and assigned to this worker again: the table is being recovered, and
    # the consumer reads P1 again from its committed offset
    stale, fresh = _event(P1, 7, 3), _event(P1, 7, 4)
    assert current_events([stale, fresh], set(), 4) == [fresh]
