"""event_batches: batches taken from a channel's queue as noack_take hands them over, without stale events."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from mode.utils.queues import ThrowableQueue

from streams.event_batches import event_batches
from streams.testing import queued_event


def _app() -> faust.App:
    app = faust.App("event-batches-test", broker="kafka://127.0.0.1:1")
    app.flow_control.resume()  # as after a partition assignment
    return app


def _stream(app: faust.App) -> Any:
    queue: ThrowableQueue[Any] = ThrowableQueue(
        maxsize=1000, flow_control=app.flow_control, clear_on_resume=True
    )
    return SimpleNamespace(app=app, channel=SimpleNamespace(queue=queue))


def _offsets(batch: list[Any]) -> list[int]:
    return [event.message.offset for event in batch]


async def test_a_full_batch_goes_at_once_and_the_rest_after_within() -> None:
    app = _app()
    stream = _stream(app)
    for offset in range(5):
        stream.channel.queue.put_nowait(await queued_event(app, offset))
    batches = event_batches(stream, 3, within=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert _offsets(await anext(batches)) == [0, 1, 2]
    assert loop.time() - started < 0.05  # full: not held for the rest of ``within``
    assert _offsets(await anext(batches)) == [3, 4]
    assert loop.time() - started >= 0.05  # two queued, one more awaited until ``within``
    await batches.aclose()


async def test_events_arriving_within_the_window_join_the_batch() -> None:
    app = _app()
    stream = _stream(app)
    queue = stream.channel.queue
    first, later = await queued_event(app, 0), await queued_event(app, 1)
    batches = event_batches(stream, 100, within=5.0)
    taking = asyncio.ensure_future(anext(batches))
    queue.put_nowait(first)
    await asyncio.sleep(0)  # the taker has the first and waits for more
    assert not taking.done()
    queue.put_nowait(later)
    await asyncio.sleep(0)
    assert not taking.done()  # still within the window, not full
    for offset in range(2, 100):  # the batch fills up: handed over before the window ends
        queue.put_nowait(await queued_event(app, offset))
    assert _offsets(await asyncio.wait_for(taking, 1.0)) == list(range(100))
    await batches.aclose()


async def test_events_of_an_old_generation_or_read_during_a_rebalance_are_skipped() -> None:
    app = _app()
    stream = _stream(app)
    queue = stream.channel.queue
    queue.put_nowait(await queued_event(app, 0, generation_id=app.consumer_generation_id - 1))
    queue.put_nowait(await queued_event(app, 1))
    batches = event_batches(stream, 10, within=0.01)
    assert _offsets(await anext(batches)) == [1]
    app.flow_control.suspend()
    queue.put_nowait(await queued_event(app, 2))
    taking = asyncio.ensure_future(anext(batches))
    while not queue.empty():  # the taker reads 2 while suspended
        await asyncio.sleep(0)
    app.flow_control.resume()
    queue.put_nowait(await queued_event(app, 3))
    assert _offsets(await asyncio.wait_for(taking, 1.0)) == [3]
    await batches.aclose()


async def test_an_error_thrown_into_the_channel_is_raised() -> None:
    app = _app()
    stream = _stream(app)
    await stream.channel.queue.throw(RuntimeError("decoder gone"))
    with pytest.raises(RuntimeError, match="decoder gone"):
        await anext(event_batches(stream, 10, within=0.01))
