"""Time-boxed turns: a long sweep holds the lock one slice at a time, waiters go in between."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from streams.testing import StepClock
from streams.turns import TimedSlice, in_turns


def test_a_slice_ends_after_the_item_that_used_up_its_budget() -> None:
    part = TimedSlice(iter(range(10)), budget_s=2.5, clock=StepClock(1.0))
    assert list(part) == [0, 1, 2]  # read at 1 (deadline 3.5), 2, 3; at 4 it is over
    assert not part.exhausted


def test_a_slice_holds_at_least_one_item_and_tells_when_the_items_ran_out() -> None:
    items = iter(["a", "b"])
    first = TimedSlice(items, budget_s=0.0, clock=StepClock(1.0))
    assert list(first) == ["a"]
    second = TimedSlice(items, budget_s=10.0, clock=StepClock(1.0))
    assert list(second) == ["b"]
    assert second.exhausted


async def test_a_waiter_takes_the_lock_between_two_turns() -> None:
    lock = asyncio.Lock()
    order: list[str] = []
    first_turn = asyncio.Event()

    async def work(part: Iterator[int]) -> None:
        for item in part:
            order.append(f"item {item}")
        first_turn.set()
        await asyncio.sleep(0)  # the agent asks for the lock while a turn holds it

    async def agent() -> None:
        await first_turn.wait()
        async with lock:
            order.append("batch")

    waiter = asyncio.create_task(agent())
    done = await in_turns(lock, range(4), 2.5, work, go_on=lambda: True, clock=StepClock(1.0))
    await waiter
    assert done
    assert order == ["item 0", "item 1", "item 2", "batch", "item 3"]


async def test_the_sweep_stops_once_it_may_not_go_on() -> None:
    lock = asyncio.Lock()
    seen: list[int] = []
    turns = 0

    async def work(part: Iterator[int]) -> None:
        nonlocal turns
        turns += 1
        seen.extend(part)

    done = await in_turns(lock, range(10), 0.0, work, go_on=lambda: turns < 2, clock=StepClock(1.0))
    assert not done
    assert seen == [0, 1]
    assert not lock.locked()


async def test_an_empty_sweep_is_done_in_one_turn() -> None:
    lock = asyncio.Lock()
    turns: list[list[int]] = []

    async def work(part: Iterator[int]) -> None:
        turns.append(list(part))

    assert await in_turns(lock, [], 1.0, work, go_on=lambda: True)
    assert turns == [[]]
