"""The consumer's hand-off of a fetched message: inline when it need not wait, raced as before otherwise."""

from __future__ import annotations

import asyncio
import inspect
import types
import warnings
from collections.abc import Generator
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from mode import Service

from streams.app import Role
from streams.consumer_handoff import YIELD_EVERY, _resume, inline_handoff


class Drainer(Service):
    """Stands in for Faust's consumer: a mode service that the patched method is called on."""


def wait_first() -> Any:
    inline_handoff()
    return Consumer.wait_first


def test_inline_handoff_is_idempotent() -> None:
    inline_handoff()
    patched = Consumer.wait_first
    inline_handoff()
    assert Consumer.wait_first is patched


async def test_a_handoff_that_does_not_suspend_runs_inline_and_the_race_never_starts() -> None:
    service = Drainer()
    started: list[str] = []

    async def callback() -> str:
        started.append("callback")
        return "delivered"

    async def suspend_flow() -> None:
        started.append("suspend_flow")

    tasks_before = len(asyncio.all_tasks())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a coroutine left unawaited would warn
        results = await wait_first()(service, callback(), suspend_flow())
    assert results.results == ["delivered"]
    assert not results.stopped
    assert started == ["callback"]
    assert len(asyncio.all_tasks()) == tasks_before


async def test_inline_handoffs_yield_to_the_loop_once_every_yield_every() -> None:
    """The agents and the rebalance callbacks ready meanwhile run within ``YIELD_EVERY``
    messages (never yielding, a burst reached a stream before a revocation did), and not at
    every message (a loop iteration per message was a quarter of Faust's per-message CPU)."""
    service = Drainer()
    ran: list[int] = []

    async def callback() -> str:
        return "delivered"

    async def suspend_flow() -> None:
        raise AssertionError("must not run")

    handoff = wait_first()
    loop = asyncio.get_running_loop()
    ran_after: list[int] = []
    for n in range(1, 2 * YIELD_EVERY + 1):
        loop.call_soon(ran.append, n)  # ready before this hand-off
        results = await handoff(service, callback(), suspend_flow())
        assert results.results == ["delivered"]
        ran_after.append(len(ran))
    # what became ready during YIELD_EVERY hand-offs ran at the last of them, not before
    first, second = [0] * (YIELD_EVERY - 1), [YIELD_EVERY] * (YIELD_EVERY - 1)
    assert ran_after == [*first, YIELD_EVERY, *second, 2 * YIELD_EVERY]
    assert ran == list(range(1, 2 * YIELD_EVERY + 1))


async def test_a_blocked_handoff_is_abandoned_when_the_flow_is_suspended() -> None:
    service = Drainer()
    suspend = asyncio.Event()
    blocker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def callback() -> None:
        try:
            await blocker  # e.g. flow control during a rebalance
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        seen.append("resumed")

    async def suspend_flow() -> None:
        await suspend.wait()

    waiting = asyncio.ensure_future(wait_first()(service, callback(), suspend_flow()))
    await asyncio.sleep(0)
    assert not waiting.done()
    suspend.set()
    results = await waiting
    await asyncio.sleep(0)
    assert results.results == [None]  # the suspend_flow coroutine won
    assert seen == ["cancelled"]


async def test_a_blocked_handoff_goes_on_where_it_stopped_and_returns_its_result() -> None:
    service = Drainer()
    loop = asyncio.get_running_loop()
    first: asyncio.Future[int] = loop.create_future()
    second: asyncio.Future[int] = loop.create_future()
    never = asyncio.Event()

    async def callback() -> int:
        return await first + await second

    async def suspend_flow() -> None:
        await never.wait()

    waiting = asyncio.ensure_future(wait_first()(service, callback(), suspend_flow()))
    await asyncio.sleep(0)
    first.set_result(1)
    await asyncio.sleep(0)
    assert not waiting.done()
    second.set_result(2)
    results = await waiting
    assert results.results == [3]


async def test_an_error_in_the_handoff_propagates_and_the_race_never_starts() -> None:
    service = Drainer()

    async def callback() -> None:
        raise ValueError("undecodable")

    async def suspend_flow() -> None:
        raise AssertionError("must not run")

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="undecodable"):
            await wait_first()(service, callback(), suspend_flow())


async def test_other_calls_wait_as_before() -> None:
    service = Drainer()

    async def one() -> str:
        return "one"

    results = await wait_first()(service, one())
    assert results.results == ["one"]
    stopped = await wait_first()(service, one(), one(), timeout=1.0)
    assert sorted(stopped.results) == ["one", "one"]


def test_what_is_thrown_into_a_resumed_handoff_reaches_the_handoff() -> None:
    caught: list[str] = []

    @types.coroutine
    def pause() -> Generator[str, None, None]:
        yield "waiting"

    async def callback() -> str:
        try:
            await pause()
        except KeyError:
            caught.append("KeyError")
        await pause()
        return "done"

    coro = callback()
    first = coro.send(None)
    resumed = _resume(coro, first)
    assert resumed.send(None) == "waiting"
    assert resumed.throw(KeyError("x")) == "waiting"
    assert caught == ["KeyError"]
    with pytest.raises(StopIteration) as stop:
        resumed.send(None)
    assert stop.value.value == "done"


def test_the_app_installs_it_in_a_sink_worker_or_when_asked_and_faust_still_hands_off_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """By default every role but webhook delivery has it; the setting overrides that for
    every role. Against a Faust whose drain loop changed, the patch would silently do
    nothing."""
    import streams.app
    from streams.settings import Settings, StreamSettings

    installed: list[str] = []

    def create(role: Role, inline_handoff: bool | None = None) -> None:
        monkeypatch.setattr(streams.app, "inline_handoff", lambda: installed.append(role))
        stream = StreamSettings(inline_handoff=inline_handoff)
        settings = Settings(app_id="handoff", topic_prefix="handoff", stream=stream)
        streams.app.create_app(settings, role)

    for role in ("process", "all", "sink", "deliver"):
        create(role)
    assert installed == ["process", "all", "sink"]
    create("sink", inline_handoff=False)
    create("deliver", inline_handoff=True)
    assert installed == ["process", "all", "sink", "deliver"]
    drain = inspect.getsource(Consumer._drain_messages)
    assert "callback(message), self.suspend_flow.wait()" in " ".join(drain.split())
