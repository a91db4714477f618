"""Long sweeps in time-boxed turns: the live clock holds the states a slice at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

Clock = Callable[[], float]


class TimedSlice(Iterator[T]):
    """The next items of ``items`` until ``budget_s`` has passed since the first was taken.

    The time is read when the next item is asked for, so a slice always holds at least one
    item and ends after the item that used up its budget. ``exhausted`` tells that ``items``
    ran out (rather than the budget)."""

    def __init__(self, items: Iterator[T], budget_s: float, clock: Clock = time.monotonic):
        self._items = items
        self._budget_s = budget_s
        self._clock = clock
        self._deadline: float | None = None
        self.exhausted = False

    def __iter__(self) -> TimedSlice[T]:
        return self

    def __next__(self) -> T:
        now = self._clock()
        if self._deadline is None:
            self._deadline = now + self._budget_s
        elif now >= self._deadline:
            raise StopIteration
        try:
            return next(self._items)
        except StopIteration:
            self.exhausted = True
            raise


async def in_turns(
    lock: asyncio.Lock,
    items: Iterable[T],
    budget_s: float,
    work: Callable[[Iterator[T]], Awaitable[None]],
    *,
    go_on: Callable[[], bool],
    clock: Clock = time.monotonic,
) -> bool:
    """Run ``work`` over ``items`` one ``TimedSlice`` at a time, each under ``lock``, which
    is released in between: whoever waits for it (the agent with its next batch) goes first,
    as ``asyncio.Lock`` wakes its waiters in order. ``work`` must take its slice to the end.

    Before each slice ``go_on()`` is asked (under the lock); once it is false the sweep
    stops. Returns whether every item was worked.
    """
    remaining = iter(items)
    while True:
        async with lock:
            if not go_on():
                return False
            part = TimedSlice(remaining, budget_s, clock)
            await work(part)
            if part.exhausted:
                return True
        await asyncio.sleep(0)  # a task that became ready meanwhile may take the lock first
