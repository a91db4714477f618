"""Events of a partition revoked meanwhile are not processed after the rebalance."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from faust.types import TP

from streams.process_agent import owned_events

P0 = TP("telemetry", 0)
P1 = TP("telemetry", 1)


def _event(tp: TP, offset: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, offset=offset, generation_id=3))


def test_events_of_owned_partitions_are_kept() -> None:
    events = [_event(P0, 1), _event(P1, 1)]
    assert owned_events(events, set()) == events


def test_events_of_a_revoked_partition_are_dropped_until_it_is_assigned_again() -> None:
    kept, revoked = _event(P0, 1), _event(P1, 1)
    assert owned_events([kept, revoked], {P1}) == [kept]
