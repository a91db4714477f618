"""watch_pauses: every collection timed by generation, a long one logged."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from streams.gc_tuning import watch_pauses
from streams.metrics import REGISTRY
from streams.testing import StepClock


def _count(generation: int) -> float:
    value = REGISTRY.get_sample_value(
        "cryotrace_gc_pause_seconds_count", {"generation": str(generation)}
    )
    return value or 0.0


Watch = Callable[[float, float], None]


@pytest.fixture
def watched() -> Iterator[Watch]:
    """Starts ``watch_pauses(long_pause_s)`` on a clock that moves ``step`` a reading; every
    callback is taken off the collector afterwards."""
    callbacks: list[Callable[[str, dict[str, Any]], None]] = []

    def watch(step: float, long_pause_s: float) -> None:
        callbacks.append(watch_pauses(long_pause_s, StepClock(step)))

    yield watch
    for callback in callbacks:
        gc.callbacks.remove(callback)


def test_each_collection_is_timed_by_its_generation(watched: Watch) -> None:
    watched(0.002, 10.0)
    before = [_count(g) for g in range(3)]
    with capture_logs() as logs:
        gc.collect(1)
        gc.collect(2)
    assert _count(1) - before[1] >= 1
    assert _count(2) - before[2] >= 1
    total = REGISTRY.get_sample_value("cryotrace_gc_pause_seconds_sum", {"generation": "2"})
    assert total is not None and total >= 0.002  # the clock's step per collection
    assert [e for e in logs if e["event"] == "worker.gc_pause"] == []  # none as long as 10 s


def test_a_long_pause_is_logged_with_what_it_found(watched: Watch) -> None:
    watched(0.2, 0.05)

    class Cycle:
        other: object

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a
    del a, b
    with capture_logs() as logs:
        gc.collect(2)
    (pause,) = [e for e in logs if e["event"] == "worker.gc_pause" and e["generation"] == 2]
    assert pause["seconds"] == 0.2
    assert pause["collected"] >= 2
    assert pause["uncollectable"] == 0
