"""Benchmark: CPU per event to take batches from an agent's channel, noack_take against event_batches.

In process, no broker: ``--events`` events (``streams.testing.queued_event``: a telemetry
message each, decoded by ``RawBytes`` as the consumer's conductor does) are queued on a Faust
stream's channel, then taken in batches of ``--batch`` (``stream.noack_take`` or
``streams.event_batches``) and each event is acked with ``stream.ack``, as the processor and
the sink do. Each round runs both ways on a
fresh app, alternating which goes first; prints the CPU per event (``time.process_time``)
of each, per round.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

import faust

from streams.event_batches import event_batches
from streams.testing import queued_event


async def _events(app: faust.App, count: int) -> list[Any]:
    return [await queued_event(app, offset) for offset in range(count)]


async def _take(way: str, count: int, batch: int) -> float:
    """CPU seconds per event to take and ack ``count`` queued events ``way``."""
    app = faust.App(f"bench-event-batches-{way}", broker="kafka://127.0.0.1:1")
    app.flow_control.resume()  # as after a partition assignment
    stream: Any = app.stream(app.channel(maxsize=count + 1))
    queue = stream.channel.queue
    for event in await _events(app, count):
        queue.put_nowait(event)
    batches = (
        event_batches(stream, batch, 0.05)
        if way == "event_batches"
        else stream.noack_take(batch, within=0.05)
    )
    taken = 0
    gc.collect()
    started = time.process_time()
    async for events in batches:
        for event in events:
            await stream.ack(event)
        taken += len(events)
        if taken >= count:
            break
    spent = time.process_time() - started
    await batches.aclose()
    return spent / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ways = ["noack_take", "event_batches"]
    for round_ in range(args.rounds):
        order = ways if round_ % 2 == 0 else ways[::-1]
        figures = {way: asyncio.run(_take(way, args.events, args.batch)) for way in order}
        print(
            f"round {round_ + 1}: "
            + "  ".join(f"{way} {figures[way] * 1e6:.2f} us/event" for way in ways)
        )


if __name__ == "__main__":
    main()
