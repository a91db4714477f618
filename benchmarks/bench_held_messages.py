"""Benchmark: what the processor holds per applied event until its checkpoint lands, and the CPU to hold and ack it.

Makes ``--events`` telemetry events as Faust's aiokafka driver and channel do (a
``ConsumerMessage`` of a ``streams.bench.data`` reading, then ``app.create_event``) and keeps
them the way each variant does: the events themselves (before ``streams.held_messages``);
``HeldMessages`` of an app with a sensor that reads final acks (their messages without
payloads, as every event was held before session 37); ``HeldMessages`` of the worker's app
(offsets). Prints the traced bytes (tracemalloc) per event each keeps once the rest is
collected, then the CPU (``time.process_time``) per event to hold and ack them, messages and
offsets alternated over ``--rounds``; last, the warehouse sink's acks of a committed batch,
``Stream.ack`` per event against ``ack_events``, alternated likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import faust
from faust.types.tuples import TP, ConsumerMessage

from alerts.encoded import exact
from streams.bench import data
from streams.held_messages import HeldMessages, ack_events, acks
from streams.process_agent import ACKS_PER_TURN
from streams.settings import Settings
from streams.testing import acking_app
from streams.topics import Topic, topic_name

TOPIC = topic_name(Settings(), Topic.TELEMETRY)
BATCH = 500


class _FinalAcksRead(faust.Sensor):
    """A sensor that reads final acks: ``HeldMessages`` holds messages, not offsets."""

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        self.last = offset


def _batches(app: faust.App, events: int, first: int = 0) -> list[list[Any]]:
    """``events`` telemetry events at offsets from ``first`` over 8 partitions, in batches."""
    start = data.start_for(events + 1)
    tps = [TP(TOPIC, partition) for partition in range(8)]  # one per partition, as consumed
    batches: list[list[Any]] = []
    batch: list[Any] = []
    for n in range(events):
        offset = first + n
        index = offset % 10_000
        key = data.shipment_id(index).encode()
        # as consumed: exactly its bytes (orjson's result keeps a 4 KiB buffer)
        value = exact(data.reading(index, offset // 10_000, -180.0, start))
        tp = tps[offset % 8]
        message = ConsumerMessage(
            TOPIC, tp.partition, offset, 1.79e9, 0, [], key, value, None, len(key), len(value), tp
        )
        message.incref()  # delivered to one stream, the processor's
        batch.append(app.create_event(key, value, [], message))
        if len(batch) == BATCH:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def _kept_per_event(app: faust.App, events: int, keep: Callable[[], Any]) -> float:
    """Traced bytes per event that ``keep()`` leaves held, of ``events`` made in batches."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = keep()
    for batch in _batches(app, events):
        if isinstance(kept, list):
            kept += batch
        else:
            kept.add(batch)
    del batch  # the last one: only what ``kept`` holds counts
    gc.collect()
    held_bytes = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(kept) == events
    return held_bytes / events


def _hold_and_ack_us(app: faust.App, events: int, round_: int) -> float:
    """CPU µs per event to hold ``events`` (``HeldMessages.add`` per batch) and ack them (the
    checkpoint's ``acks``), on offsets no round used before."""
    batches = _batches(app, events, first=round_ * events)
    held = HeldMessages(app)
    gc.collect()
    began = time.process_time()
    for batch in batches:
        held.add(batch)
    for _ in acks(app, held.take(), ACKS_PER_TURN):
        pass
    spent = time.process_time() - began
    _forget_acks(app)
    return spent * 1e6 / events


def _forget_acks(app: faust.App) -> None:
    """The consumer's acked offsets dropped, as a commit leaves them."""
    app.consumer._acked.clear()  # type: ignore[attr-defined]  # Faust's, untyped
    app.consumer._acked_index.clear()  # type: ignore[attr-defined]  # likewise


async def _sink_acks_us(app: faust.App, events: int, round_: int) -> tuple[float, float]:
    """CPU µs per event to ack committed batches: ``Stream.ack`` per event (the sink before
    session 37), then ``ack_events`` per batch, each on offsets no round used before."""
    stream = app.stream(app.topic(TOPIC))
    spent = []
    for way, first in ((0, 2 * round_ * events), (1, (2 * round_ + 1) * events)):
        batches = _batches(app, events, first=first)
        gc.collect()
        began = time.process_time()
        for batch in batches:
            if way == 0:
                for event in batch:
                    await stream.ack(event)
            else:
                ack_events(app, batch)
        spent.append((time.process_time() - began) * 1e6 / events)
        _forget_acks(app)
    return spent[0], spent[1]


async def run(args: argparse.Namespace) -> None:
    """Measure the variants and print the figures."""
    # apps whose conductors ack the telemetry topic, as the processor's does
    messages_app: faust.App = await acking_app("bench-held-messages", TOPIC, _FinalAcksRead())
    offsets_app: faust.App = await acking_app("bench-held-offsets", TOPIC)
    events = _kept_per_event(offsets_app, args.events, list)
    messages = _kept_per_event(messages_app, args.events, lambda: HeldMessages(messages_app))
    offsets = _kept_per_event(offsets_app, args.events, lambda: HeldMessages(offsets_app))
    print(f"{args.events:,} applied telemetry events held until their checkpoint:")
    print(f"  the events:                        {events:7.1f} B an event")
    print(f"  their messages without payloads:   {messages:7.1f} B an event")
    print(f"  their offsets:                     {offsets:7.1f} B an event")
    print(f"  at 100,000 held: {events / 10:.1f} -> {messages / 10:.1f} -> {offsets / 10:.1f} MB")
    print("CPU to hold and ack them (held per batch of 500, acked in turns of 2,000):")
    for r in range(args.rounds):
        as_messages = _hold_and_ack_us(messages_app, args.events, r)
        as_offsets = _hold_and_ack_us(offsets_app, args.events, r)
        print(
            f"  round {r + 1}: messages {as_messages:5.2f} us an event, "
            f"offsets {as_offsets:5.2f} (ratio {as_offsets / as_messages:.2f})"
        )
    print("CPU to ack the warehouse sink's committed batches (of 500):")
    sink_app: faust.App = await acking_app("bench-held-sink", TOPIC)
    for r in range(args.rounds):
        per_event, per_batch = await _sink_acks_us(sink_app, args.events, r)
        print(
            f"  round {r + 1}: Stream.ack {per_event:5.2f} us an event, "
            f"ack_events {per_batch:5.2f} (ratio {per_batch / per_event:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
