"""The conductor's callback lookup: at once when its lock is free, behind the lock as Faust's otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
import pytest
from faust.transport.conductor import Conductor
from faust.types.tuples import TP

from streams.callback_lookup import _MARK, lookup_without_free_lock

TP0 = TP("telemetry", 0)


class Message:
    tp = TP0


def handlers() -> dict[str, Any]:
    """A conductor of a real app, and its message handler compiled Faust's way and this one's."""
    lookup_without_free_lock()
    conductor = faust.App("test-callback-lookup", broker="kafka://127.0.0.1:1").topics
    return {
        "conductor": conductor,
        "faust": getattr(Conductor, _MARK)(conductor),
        "ours": conductor._compile_message_handler(),
    }


def delivered_to(name: str, log: list[str]) -> Callable[[Any], Any]:
    async def callback(message: Any) -> str:
        log.append(name)
        return name

    return callback


def test_lookup_without_free_lock_is_idempotent_and_compiles_the_app_handler() -> None:
    lookup_without_free_lock()
    patched = Conductor._compile_message_handler
    lookup_without_free_lock()
    assert Conductor._compile_message_handler is patched
    assert getattr(Conductor, _MARK) is not patched
    conductor = faust.App("test-callback-lookup-app", broker="kafka://127.0.0.1:1").topics
    assert conductor.on_message.__qualname__.startswith(lookup_without_free_lock.__qualname__)


def test_a_free_lock_is_not_taken_and_the_handoff_does_not_suspend() -> None:
    made = handlers()
    log: list[str] = []
    made["conductor"]._tp_to_callback[TP0] = delivered_to("stream", log)
    for way in ("faust", "ours"):
        coro = made[way](Message())
        try:
            coro.send(None)
        except StopIteration as done:  # finished at the first step: no suspension
            assert done.value == "stream"
        else:  # pragma: no cover - the assertion below names the failure
            coro.close()
            raise AssertionError(f"{way}'s hand-off suspended on a free lock")
    assert log == ["stream", "stream"]
    assert not made["conductor"]._tp_to_callback_lock.locked()


@pytest.mark.parametrize("way", ["faust", "ours"])
async def test_a_held_lock_is_waited_for_and_the_rebuilt_index_used_as_by_faust(way: str) -> None:
    """While the index is rebuilt (its lock held across awaits), a message waits, then goes
    to the callback the rebuild put there."""
    made = handlers()
    conductor = made["conductor"]
    log: list[str] = []
    conductor._tp_to_callback[TP0] = delivered_to("old", log)
    lock = conductor._tp_to_callback_lock
    await lock.acquire()  # as _update_indices: held while it rebuilds
    handed = asyncio.ensure_future(made[way](Message()))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not handed.done()
    conductor._tp_to_callback.clear()
    conductor._tp_to_callback[TP0] = delivered_to("new", log)
    lock.release()
    assert await handed == "new"
    assert log == ["new"]


@pytest.mark.parametrize("way", ["faust", "ours"])
async def test_a_free_lock_with_a_waiter_queued_is_taken_in_turn_as_by_faust(way: str) -> None:
    """A lock just released to a queued task is that task's first: the message waits for it,
    as Faust's handler does, and sees what it left."""
    made = handlers()
    conductor = made["conductor"]
    log: list[str] = []
    conductor._tp_to_callback[TP0] = delivered_to("old", log)
    lock = conductor._tp_to_callback_lock

    async def rebuild() -> None:
        async with lock:
            conductor._tp_to_callback[TP0] = delivered_to("new", log)

    await lock.acquire()
    rebuilding = asyncio.ensure_future(rebuild())
    await asyncio.sleep(0)  # the rebuild queues for the lock
    handed = asyncio.ensure_future(made[way](Message()))  # its first step runs next
    lock.release()  # free, the rebuild's waiter woken but not run yet
    assert not lock.locked()
    await rebuilding
    assert await handed == "new"
    assert log == ["new"]
