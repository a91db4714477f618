"""PauseWatch: every collection timed by generation, a long one kept and logged outside it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import pytest
from structlog.testing import capture_logs

from streams.gc_tuning import LONG_PAUSES_KEPT, PauseWatch
from streams.metrics import REGISTRY
from streams.testing import StepClock


def _count(generation: int) -> float:
    value = REGISTRY.get_sample_value(
        "cryotrace_gc_pause_seconds_count", {"generation": str(generation)}
    )
    return value or 0.0


Watch = Callable[[float, float], PauseWatch]


@pytest.fixture
def watching() -> Iterator[Watch]:
    """Starts a ``PauseWatch(long_pause_s)`` on a clock that moves ``step`` a reading (so
    every collection lasts ``step``) and a CPU clock that moves a quarter of it (the
    collector's thread ran a quarter of that time); each is stopped afterwards."""
    started: list[PauseWatch] = []

    def watch(step: float, long_pause_s: float) -> PauseWatch:
        watcher = PauseWatch(long_pause_s, StepClock(step), StepClock(step / 4))
        watcher.start()
        started.append(watcher)
        return watcher

    yield watch
    for watcher in started:
        watcher.stop()


def test_each_collection_is_timed_by_its_generation(watching: Watch) -> None:
    watcher = watching(0.002, 10.0)
    before = [_count(g) for g in range(3)]
    gc.collect(1)
    gc.collect(2)
    assert _count(1) - before[1] >= 1
    assert _count(2) - before[2] >= 1
    total = REGISTRY.get_sample_value("cryotrace_gc_pause_seconds_sum", {"generation": "2"})
    assert total is not None and total >= 0.002  # the clock's step per collection
    assert watcher.log_long() == 0  # none as long as 10 s


def test_a_long_pause_is_logged_later_with_what_it_found(watching: Watch) -> None:
    watcher = watching(0.2, 0.05)

    class Cycle:
        other: object

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    with capture_logs() as logs:
        gc.collect(2)
        assert [e for e in logs if e["event"] == "worker.gc_pause"] == []  # not from inside
        assert watcher.log_long() >= 1
    pauses = [e for e in logs if e["event"] == "worker.gc_pause" and e["generation"] == 2]
    assert pauses and all(p["seconds"] == 0.2 for p in pauses)
    assert all(p["cpu_seconds"] == 0.05 for p in pauses)  # the thread's CPU, told apart
    assert max(p["collected"] for p in pauses) >= 2
    assert all(p["uncollectable"] == 0 for p in pauses)
    assert watcher.log_long() == 0  # each logged once


def test_only_the_newest_long_pauses_are_kept_between_two_logs(watching: Watch) -> None:
    watcher = watching(0.2, 0.05)
    for _ in range(LONG_PAUSES_KEPT + 20):
        gc.collect(0)
    with capture_logs():
        assert watcher.log_long() == LONG_PAUSES_KEPT
