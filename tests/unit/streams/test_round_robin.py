"""The consumer's round robin: Faust's order of records and of pulls, one generator a level."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.utils import DefaultSchedulingStrategy
from faust.types import TP
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.app import create_app
from streams.round_robin import RoundRobin
from streams.seek_fence import fence, sought
from streams.settings import Settings

Event = tuple[str, str, int, int]
"""("pull" | "end" | "got", topic, partition, offset); an end's offset is -1."""


class LoggedRecords:
    """A partition's records that log each pull, and the pull that finds none left."""

    def __init__(self, tp: TP, offsets: list[int], log: list[Event]) -> None:
        self.tp, self.offsets, self.log = tp, offsets, log

    def __len__(self) -> int:
        return len(self.offsets)

    def __iter__(self) -> Iterator[Any]:
        for offset in self.offsets:
            self.log.append(("pull", self.tp.topic, self.tp.partition, offset))
            yield SimpleNamespace(offset=offset)
        self.log.append(("end", self.tp.topic, self.tp.partition, -1))


def _handed_over(
    scheduler: Any, shape: list[list[int]], seeks: dict[int, TP] | None = None
) -> list[Event]:
    """Everything that happened while ``scheduler`` handed a fenced fetch of ``shape`` (per
    topic, its partitions' record counts) over: the pulls and the records got, in order; the
    partition ``seeks[n]`` is sought once ``n`` records were got, as the consumer thread does
    while the event loop hands a fetch over."""
    log: list[Event] = []
    fetched: dict[TP, Any] = {}
    for t, partitions in enumerate(shape):
        for p, count in enumerate(partitions):
            tp = TP(f"topic-{t}", p)
            fetched[tp] = LoggedRecords(tp, list(range(100 * p, 100 * p + count)), log)
    thread = SimpleNamespace()
    for got, (tp, record) in enumerate(scheduler.iterate(fence(thread, fetched)), start=1):
        log.append(("got", tp.topic, tp.partition, record.offset))
        if seeks and got in seeks:
            sought(thread, [seeks[got]])
    return log


def _got(log: list[Event]) -> list[tuple[str, int, int]]:
    return [(topic, p, offset) for kind, topic, p, offset in log if kind == "got"]


def test_one_topic_goes_round_its_partitions_and_drops_each_as_it_runs_out() -> None:
    log = _handed_over(RoundRobin(), [[3, 1, 2]])
    assert _got(log) == [
        ("topic-0", 0, 0),
        ("topic-0", 1, 100),
        ("topic-0", 2, 200),
        ("topic-0", 0, 1),
        ("topic-0", 2, 201),
        ("topic-0", 0, 2),
    ]
    assert log == _handed_over(DefaultSchedulingStrategy(), [[3, 1, 2]])


def test_topics_take_turns_and_each_topic_goes_round_its_own_partitions() -> None:
    log = _handed_over(RoundRobin(), [[2, 1], [1], [0]])
    assert _got(log) == [
        ("topic-0", 0, 0),
        ("topic-1", 0, 0),
        ("topic-0", 1, 100),
        ("topic-0", 0, 1),
    ]
    assert log == _handed_over(DefaultSchedulingStrategy(), [[2, 1], [1], [0]])


@pytest.mark.parametrize("shape", [[[2]], [[2, 2]], [[2], [2]]], ids=str)
def test_each_record_is_pulled_only_when_it_is_asked_for(shape: list[list[int]]) -> None:
    log = _handed_over(RoundRobin(), shape)
    pulls_and_gets = [event for event in log if event[0] != "end"]
    assert [kind for kind, *_ in pulls_and_gets] == ["pull", "got"] * sum(map(sum, shape))
    assert pulls_and_gets[0::2] == [("pull", *got[1:]) for got in pulls_and_gets[1::2]]


def test_a_seek_mid_fetch_stops_its_partition_at_the_same_record_as_with_faust() -> None:
    seeks = {2: TP("topic-0", 1)}  # after two records, partition 1 is sought
    log = _handed_over(RoundRobin(), [[3, 3, 3]], seeks)
    assert ("got", "topic-0", 1, 101) not in log
    assert ("got", "topic-0", 2, 202) in log
    assert log == _handed_over(DefaultSchedulingStrategy(), [[3, 3, 3]], seeks)


def test_an_empty_fetch_hands_nothing_over() -> None:
    assert list(RoundRobin().iterate({})) == []


SHAPES = st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=4), min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(shape=SHAPES, data=st.data())
def test_any_fetch_and_seeks_give_faust_s_records_and_pulls_in_faust_s_order(
    shape: list[list[int]], data: st.DataObject
) -> None:
    tps = [TP(f"topic-{t}", p) for t, parts in enumerate(shape) for p in range(len(parts))]
    total = sum(map(sum, shape))
    seeks = data.draw(st.dictionaries(st.integers(1, max(total, 1)), st.sampled_from(tps)))
    ours = _handed_over(RoundRobin(), shape, seeks)
    assert ours == _handed_over(DefaultSchedulingStrategy(), shape, seeks)


def test_the_apps_consumer_schedules_with_it() -> None:
    app = create_app(Settings(), "process")
    assert isinstance(app.consumer.scheduler, RoundRobin)
