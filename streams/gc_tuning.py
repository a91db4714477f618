"""Garbage-collector settings for a busy worker: start-up objects frozen, young collections rarer;
its pauses measured."""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import structlog

from streams.metrics import GC_PAUSE_SECONDS

__all__ = ["GC_THRESHOLDS", "LONG_PAUSES_KEPT", "LONG_PAUSE_S", "PauseWatch", "tune_gc"]

log = structlog.get_logger(__name__)

LONG_PAUSE_S = 0.05
"""A collection that holds the worker at least this long is logged (``worker.gc_pause``):
every reading waiting meanwhile is that much later."""

LONG_PAUSES_KEPT = 100
"""Long pauses kept between two ``PauseWatch.log_long`` calls (the oldest go first)."""

GC_THRESHOLDS = (20_000, 50, 50)
"""Allocations before a young collection, and collections before the next older one.

With CPython's default (700, 10, 10) a delivery worker at 1,000 alerts/s spent about a fifth
of its CPU in the collector (every few requests' short-lived tasks, futures and models
triggered a pass over the young objects, every tenth pass over all the long-lived ones);
with these, about a twentieth (benchmarks/bench_webhooks.py). A processing worker holds
many long-lived shipment states, which every older collection walks; batch processing on
the benchmark's data ran 1.1-1.5x faster with these settings."""


def tune_gc() -> None:
    """Collect once, move everything alive (Faust, the schemas, the tables) out of the
    collector's sight for good (``gc.freeze``), and make collections rarer. Process-wide:
    called once the worker runs; it only ever makes collections cheaper and rarer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class PauseWatch:
    """Times every collection (``gc.callbacks``, once ``start``-ed): each pause into
    ``GC_PAUSE_SECONDS`` by generation, and one of at least ``long_pause_s`` kept for
    ``log_long`` to log with what it found and the CPU its thread spent meanwhile
    (``cpu_clock``, the thread's CPU time): a pause much longer than that CPU is the machine
    running something else, one as long is the collector's own work.

    The callback runs inside whatever allocation set the collector off, in any thread, maybe
    while that code holds a lock: so it takes none a caller could hold. The histogram's
    children are made beforehand (making one takes the metric's lock), their values' locks
    are never held across an allocation, and the log waits for ``log_long`` (structlog's
    writer holds a plain lock while it prints)."""

    def __init__(
        self,
        long_pause_s: float = LONG_PAUSE_S,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.thread_time,
    ) -> None:
        self.long_pause_s = long_pause_s
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._by_generation = tuple(GC_PAUSE_SECONDS.labels(str(g)) for g in range(3))
        self._began = 0.0
        self._began_cpu = 0.0
        self._long: deque[tuple[int, float, float, int, int]] = deque(maxlen=LONG_PAUSES_KEPT)

    def start(self) -> None:
        """Time the collections from now on."""
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        """Time them no more."""
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = self._clock()
            self._began_cpu = self._cpu_clock()
            return
        paused = self._clock() - self._began
        generation = info["generation"]
        self._by_generation[generation].observe(paused)
        if paused >= self.long_pause_s:
            worked = self._cpu_clock() - self._began_cpu
            self._long.append(
                (generation, paused, worked, info["collected"], info["uncollectable"])
            )

    def log_long(self) -> int:
        """Log the long pauses kept since the last call (``worker.gc_pause``); how many."""
        logged = 0
        while self._long:
            generation, paused, worked, collected, uncollectable = self._long.popleft()
            log.info(
                "worker.gc_pause",
                generation=generation,
                seconds=round(paused, 3),
                cpu_seconds=round(worked, 3),
                collected=collected,
                uncollectable=uncollectable,
            )
            logged += 1
        return logged
