"""Garbage-collector settings for a busy worker: start-up objects frozen, young collections rarer;
its pauses measured."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import structlog

from streams.metrics import GC_PAUSE_SECONDS

__all__ = ["GC_THRESHOLDS", "LONG_PAUSE_S", "tune_gc", "watch_pauses"]

log = structlog.get_logger(__name__)

LONG_PAUSE_S = 0.05
"""A collection that holds the worker at least this long is logged (``worker.gc_pause``):
every reading waiting meanwhile is that much later."""

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


def watch_pauses(
    long_pause_s: float = LONG_PAUSE_S, clock: Callable[[], float] = time.perf_counter
) -> Callable[[str, dict[str, Any]], None]:
    """Time every collection (``gc.callbacks``): each pause into ``GC_PAUSE_SECONDS`` by
    generation, and one of at least ``long_pause_s`` logged with what it found. Returns the
    callback (``gc.callbacks.remove`` takes it off)."""
    began = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = clock()
            return
        paused = clock() - began[0]
        generation = info["generation"]
        GC_PAUSE_SECONDS.labels(str(generation)).observe(paused)
        if paused >= long_pause_s:
            log.info(
                "worker.gc_pause",
                generation=generation,
                seconds=round(paused, 3),
                collected=info["collected"],
                uncollectable=info["uncollectable"],
            )

    gc.callbacks.append(callback)
    return callback
