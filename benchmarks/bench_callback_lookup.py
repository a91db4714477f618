"""Benchmark: CPU per message of the conductor's hand-off to a partition's callback, Faust's handler against the lookup without a free lock.

In process, no broker: the conductor of a real app, its message handler compiled Faust's way
(``async with`` its lock around the lookup) and this project's
(``streams.callback_lookup``), each handing ``--messages`` messages of one partition to a
callback that returns at once, awaited one after another as the consumer's drain loop does.
Each round runs both ways, alternating which goes first; prints the CPU per message
(``time.process_time``) of each, per round, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import faust
from faust.transport.conductor import Conductor
from faust.types.tuples import TP

from streams.callback_lookup import _MARK, lookup_without_free_lock


class _Message:
    tp = TP("telemetry", 0)


async def _handed(handler: Any, messages: int) -> float:
    """CPU seconds per message for ``handler`` to hand ``messages`` over."""
    message = _Message()
    began = time.process_time()
    for _ in range(messages):
        await handler(message)
    return (time.process_time() - began) / messages


async def _run(messages: int, rounds: int) -> None:
    lookup_without_free_lock()
    conductor: Any = faust.App("bench-callback-lookup", broker="kafka://127.0.0.1:1").topics

    async def callback(message: Any) -> None:
        return None

    conductor._tp_to_callback[_Message.tp] = callback
    ways = {
        "faust": getattr(Conductor, _MARK)(conductor),
        "free lock": conductor._compile_message_handler(),
    }
    print(f"{messages:,} messages a way and round")
    for r in range(rounds):
        order = list(ways) if r % 2 == 0 else list(reversed(ways))
        cpu = {way: await _handed(ways[way], messages) for way in order}
        print(
            f"  round {r + 1}: Faust's handler {cpu['faust'] * 1e6:.2f} µs a message, "
            f"without the free lock {cpu['free lock'] * 1e6:.2f} µs "
            f"(ratio {cpu['free lock'] / cpu['faust']:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(_run(args.messages, args.rounds))


if __name__ == "__main__":
    main()
