"""Faust's consumer hands a fetched message to its streams without spawning tasks when it need not wait.

For every message, ``faust.transport.consumer.Consumer._drain_messages`` runs
``await self.wait_first(callback(message), self.suspend_flow.wait())`` so that a rebalance
(``suspend_flow``) can abandon a hand-off blocked on flow control or a full stream buffer.
``mode.Service.wait_first`` wraps each argument and the service's stopped and crashed events
in a task (four tasks per message, three cancelled) and waits on them: the largest part of
Faust's per-message CPU. Nearly always the hand-off finishes without ever suspending.

``inline_handoff`` makes the consumer run the first step of that call's first coroutine
itself, in a copy of the context as a task would: when it finishes, the other coroutines are
closed unstarted and its result is returned as the first to complete; when it suspends, it
goes on as a task, raced against the others by the original ``wait_first`` exactly as before
(so a rebalance still interrupts it). Other calls are untouched.

The original yields to the event loop at every message (while its tasks run). The inline
hand-off yields once every ``YIELD_EVERY`` messages instead: the agents then take that many
messages from their buffers per loop iteration, and rebalance callbacks wait at most that many
hand-offs (a few milliseconds; Faust's own drain loop yields only every 100 messages when
nothing suspends). A yield per message cost a loop iteration per message: a Faust agent that
only iterates events spent 135 / 137 µs CPU per message with it, 104 / 97 µs with a yield every
16 (docs/benchmarks.md, session 9).

Checked against faust-streaming 0.15.3 and mode-streaming 0.7.1 (constraints.txt).
"""

from __future__ import annotations

import asyncio
import contextvars
import types
from collections.abc import Coroutine, Generator
from typing import Any

_MARK = "_cryotrace_inline_handoff"
_COUNT = "_cryotrace_inline_handoffs"

YIELD_EVERY = 16
"""Inline hand-offs between two yields to the event loop (see the module docstring)."""


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], yielded: Any) -> Generator[Any, Any, Any]:
    """Go on with ``coro``, suspended after yielding ``yielded``, as ``yield from`` would."""
    while True:
        sent: Any = None
        thrown: BaseException | None = None
        try:
            sent = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation or any other thrown in: coro's to handle
            thrown = exc
        try:
            yielded = coro.send(sent) if thrown is None else coro.throw(thrown)
        except StopIteration as stop:
            return stop.value


async def _continue(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _resume(coro, yielded)


def inline_handoff() -> None:
    """Patch Faust's consumer as the module docstring says (idempotent; process-wide)."""
    from faust.transport.consumer import Consumer
    from mode.services import WaitResults

    if getattr(Consumer, _MARK, False):
        return
    original = Consumer.wait_first

    async def wait_first(self: Any, *coros: Any, timeout: Any = None) -> Any:
        first = coros[0] if coros else None
        if (
            timeout is not None
            or len(coros) != 2  # the hand-off's shape: callback, suspend_flow
            or type(first) is not types.CoroutineType
            or type(coros[1]) is not types.CoroutineType
            or self._stopped.is_set()
            or self._crashed.is_set()
        ):
            return await original(self, *coros, timeout=timeout)
        context = contextvars.copy_context()
        result: WaitResults | None
        try:
            yielded = context.run(first.send, None)
        except StopIteration as stop:
            result = WaitResults([first], [stop.value], False)
        else:
            result = None
        finally:
            if first.cr_frame is None:  # finished (or raised): the other never starts
                coros[1].close()
        if result is not None:
            # the original yields to the loop at every message (awaiting its tasks); this
            # yields every YIELD_EVERY, so that the agents and rebalance callbacks still run
            # within a few milliseconds
            count = getattr(self, _COUNT, 0) + 1
            if count >= YIELD_EVERY:
                count = 0
                await asyncio.sleep(0)
            setattr(self, _COUNT, count)
            return result
        task = asyncio.get_running_loop().create_task(_continue(first, yielded), context=context)
        return await original(self, task, *coros[1:])

    setattr(Consumer, _MARK, True)
    Consumer.wait_first = wait_first  # type: ignore[method-assign]
