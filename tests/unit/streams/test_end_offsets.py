"""Faust's getmany noting each partition's end offset once per fetch: the same records handed over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from faust.transport.consumer import Consumer
from faust.transport.utils import DefaultSchedulingStrategy
from faust.types.tuples import TP

from streams.end_offsets import _MARK, getmany, note_end_offsets_per_fetch


class Record(NamedTuple):
    offset: int


class EndOffsets:
    """Stands in for the app's monitor: what ``track_tp_end_offset`` was given, in order."""

    def __init__(self) -> None:
        self.tracked: list[tuple[TP, int]] = []
        self.tp_end_offsets: dict[TP, int] = {}

    def track_tp_end_offset(self, tp: TP, offset: int) -> None:
        self.tracked.append((tp, offset))
        self.tp_end_offsets[tp] = offset


class App:
    def __init__(self) -> None:
        self.consumer_generation_id = 1
        self.monitor = EndOffsets()


class Log:
    def dev(self, *args: Any) -> None:
        pass

    def warning(self, *args: Any) -> None:
        pass


class FetchingConsumer:
    """Stands in for Faust's consumer around ``getmany``: one fetch of ``records``, each
    partition's mark growing by ``step`` at every ``highwater`` call, and ``on_record`` run as
    each record is handed over (to stop the flow or change the generation mid-fetch)."""

    def __init__(
        self,
        records: dict[TP, list[Record]] | None,
        *,
        active: set[TP] | None = None,
        buffered: set[TP] | frozenset[TP] = frozenset(),
        flow_active: bool = True,
        step: int = 0,
        on_record: Callable[[FetchingConsumer, int], None] | None = None,
    ) -> None:
        self.records = records
        self.active = active
        self._buffered_partitions = set(buffered)
        self.flow_active = flow_active
        self.should_stop = False
        self.app = App()
        self.scheduler = DefaultSchedulingStrategy()
        self.log = Log()
        self.step = step
        self.on_record = on_record
        self.handed = 0
        self.highwater_calls: list[TP] = []
        self.seeks = 0

    async def _wait_next_records(self, timeout: float) -> tuple[Any, Any]:
        return self.records, self.active

    def highwater(self, tp: TP) -> int:
        self.highwater_calls.append(tp)
        return 1_000 * tp.partition + self.step * len(self.highwater_calls)

    def _to_message(self, tp: TP, record: Record) -> tuple[TP, int]:
        self.handed += 1
        if self.on_record is not None:
            self.on_record(self, self.handed)
        return (tp, record.offset)

    async def perform_seek(self) -> None:
        self.seeks += 1


def faust_getmany() -> Any:
    note_end_offsets_per_fetch()
    return getattr(Consumer, _MARK)


async def handed_over(method: Any, consumer: FetchingConsumer) -> list[tuple[TP, int]]:
    return [message async for _, message in method(consumer, timeout=1.0)]


A, B = "telemetry", "custody"
TPS = [TP(A, 0), TP(A, 1), TP(B, 0), TP(B, 2)]


def fetch() -> dict[TP, list[Record]]:
    return {tp: [Record(10 * i + n) for n in range(4)] for i, tp in enumerate(TPS)}


def stop_flow_at(n: int) -> Callable[[FetchingConsumer, int], None]:
    def stop(consumer: FetchingConsumer, handed: int) -> None:
        if handed == n:
            consumer.flow_active = False

    return stop


def next_generation_at(n: int) -> Callable[[FetchingConsumer, int], None]:
    def rebalance(consumer: FetchingConsumer, handed: int) -> None:
        if handed == n:
            consumer.app.consumer_generation_id += 1

    return rebalance


CASES: dict[str, Callable[[], FetchingConsumer]] = {
    "every partition active": lambda: FetchingConsumer(fetch()),
    "one active, one buffered, two paused": lambda: FetchingConsumer(
        fetch(), active={TPS[0]}, buffered={TPS[2]}
    ),
    "the flow stops mid-fetch": lambda: FetchingConsumer(fetch(), on_record=stop_flow_at(5)),
    "a rebalance mid-fetch": lambda: FetchingConsumer(fetch(), on_record=next_generation_at(6)),
    "the flow off from the start": lambda: FetchingConsumer(fetch(), flow_active=False),
    "nothing fetched": lambda: FetchingConsumer(None),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_the_same_records_end_offsets_and_seeks_as_fausts_getmany(case: str) -> None:
    """Faust's own method and this one on the same fetch: the same records in the same order,
    the same last end offset per partition (the marks do not move here) and the same seek."""
    faust_side, ours = CASES[case](), CASES[case]()
    theirs = await handed_over(faust_getmany(), faust_side)
    mine = await handed_over(getmany, ours)
    assert mine == theirs
    assert ours.app.monitor.tp_end_offsets == faust_side.app.monitor.tp_end_offsets
    assert ours.seeks == faust_side.seeks
    if case == "every partition active":
        assert len(mine) == 16  # the case is not vacuous
    if case == "the flow off from the start":
        assert ours.seeks == 1


async def test_the_mark_is_asked_once_per_partition_and_fetch_not_per_record() -> None:
    consumer = FetchingConsumer(fetch())
    handed = await handed_over(getmany, consumer)
    assert len(handed) == 16
    assert sorted(consumer.highwater_calls) == sorted(TPS)
    faust_side = FetchingConsumer(fetch())
    await handed_over(faust_getmany(), faust_side)
    assert len(faust_side.highwater_calls) == 16


async def test_a_partition_is_noted_before_its_first_record_and_again_at_the_next_fetch() -> None:
    """A mark that moves while a fetch is handed over is noted at the partition's first record
    of that fetch, and the next fetch notes the new one."""
    consumer = FetchingConsumer({TPS[0]: [Record(0), Record(1)]}, step=5)
    await handed_over(getmany, consumer)
    assert consumer.app.monitor.tracked == [(TPS[0], 5)]
    consumer.records = {TPS[0]: [Record(2)]}
    await handed_over(getmany, consumer)
    assert consumer.app.monitor.tracked == [(TPS[0], 5), (TPS[0], 10)]


def test_note_end_offsets_per_fetch_is_idempotent() -> None:
    note_end_offsets_per_fetch()
    original = getattr(Consumer, _MARK)
    note_end_offsets_per_fetch()
    assert Consumer.getmany is getmany
    assert getattr(Consumer, _MARK) is original
    assert original is not getmany
