"""Benchmark: the memory the processor holds per applied event until its checkpoint lands.

Makes ``--events`` telemetry events as Faust's aiokafka driver and channel do (a
``ConsumerMessage`` of a ``streams.bench.data`` reading, then ``app.create_event``) and keeps
them, under tracemalloc, the way each variant does: the events themselves (before
``streams.held_messages``), or ``held(events)``, their messages without payloads. Prints the
traced bytes per event each keeps once the rest is collected.
"""

from __future__ import annotations

import argparse
import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import faust
from faust.types.tuples import TP, ConsumerMessage

from alerts.encoded import exact
from streams.bench import data
from streams.held_messages import held
from streams.settings import Settings
from streams.topics import Topic, topic_name


def _kept_per_event(app: faust.App, events: int, keep: Callable[[list[Any]], list[Any]]) -> float:
    """Traced bytes per event that ``keep`` leaves held, of ``events`` made in batches of 500."""
    topic = topic_name(Settings(), Topic.TELEMETRY)
    tp = TP(topic, 0)
    start = data.start_for(events + 1)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept: list[Any] = []
    batch: list[Any] = []
    for offset in range(events):
        index = offset % 10_000
        key = data.shipment_id(index).encode()
        # as consumed: exactly its bytes (orjson's result keeps a 4 KiB buffer)
        value = exact(data.reading(index, offset // 10_000, -180.0, start))
        message = ConsumerMessage(
            topic, 0, offset, 1.79e9, 0, [], key, value, None, len(key), len(value), tp
        )
        batch.append(app.create_event(key, value, [], message))
        if len(batch) == 500:
            kept += keep(batch)
            batch = []
    kept += keep(batch)
    del batch
    gc.collect()
    held_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(kept) == events
    return held_bytes / events


def main() -> None:
    """Measure both variants and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    app = faust.App("bench-held-messages", broker="kafka://127.0.0.1:1")
    events = _kept_per_event(app, args.events, list)
    messages = _kept_per_event(app, args.events, held)
    print(f"{args.events:,} applied telemetry events held until their checkpoint:")
    print(f"  the events:                        {events:7.1f} B an event")
    print(f"  their messages without payloads:   {messages:7.1f} B an event")
    print(f"  at 50,000 held: {events * 50_000 / 1e6:.1f} -> {messages * 50_000 / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
