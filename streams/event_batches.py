"""Batches of events taken straight from an agent's channel queue: ``noack_take`` without its per-event hops.

``Stream.noack_take`` moves every event through the stream's iterator, run as a background
drainer: per event a turn of the event loop (``asyncio.sleep(0)``), the stream sensors, a
context variable and a processor coroutine that appends it to the taker's buffer.
``event_batches`` takes the events from the queue the consumer's conductor fills
(``stream.channel.queue``) itself: as many as are there with ``get_nowait``, and waits only
when it is empty. The queue's own ``get`` and ``get_nowait`` are used, so what they do stays:
a thrown error is raised, and a partition paused because its buffer filled resumes once it
drains.

Like the stream's iterator it skips (does not hand over, leaves unacked) an event of an older
consumer generation or one read while flow control is suspended (a rebalance): the next owner
of its partition reads it again. Nothing is acked here: the caller acks each event with
``stream.ack`` once it is done with it, as after ``noack_take``. Faust's tracking of in-flight
messages for ``stream_wait_empty`` is not done: the app turns that off (``streams.app``).

Checked against faust-streaming 0.15.3 and mode-streaming 0.7.1 (constraints.txt).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import faust

__all__ = ["event_batches"]


async def event_batches(stream: Any, max_events: int, within: float) -> AsyncIterator[list[Any]]:
    """Lists of at most ``max_events`` events of ``stream``'s channel: each handed over once it
    is full or ``within`` seconds after its first event arrived, whichever comes first."""
    app: faust.App = stream.app
    queue = stream.channel.queue
    flow = app.flow_control
    loop = asyncio.get_running_loop()
    event_type = faust.types.EventT

    def admit(item: Any, batch: list[Any]) -> None:
        if (
            isinstance(item, event_type)
            and flow.is_active()
            and item.message.generation_id == app.consumer_generation_id
        ):
            batch.append(item)

    while True:
        batch: list[Any] = []
        admit(await queue.get(), batch)
        deadline = loop.time() + within
        while len(batch) < max_events:
            while len(batch) < max_events and not queue.empty():
                admit(queue.get_nowait(), batch)
            remaining = deadline - loop.time()
            if len(batch) >= max_events or remaining <= 0:
                break
            try:
                item = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                break
            admit(item, batch)
        if batch:
            yield batch
