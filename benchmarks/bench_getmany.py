"""Benchmark: CPU per record of Faust's getmany handing a fetch over: its own, with end offsets noted once per partition, and with cryotrace's round robin too.

In process, no broker: a process worker's app (``streams.app.create_app``), its consumer's
thread given an aiokafka consumer that is never started, with ``--partitions`` partitions of
each of ``--topics`` topics assigned, so that ``Consumer.highwater`` runs its whole chain
(Faust's thread delegate, its consumer thread, aiokafka's subscription state) and the monitor
is the worker's own (``LeanMonitor``). Each fetch (``_wait_next_records``) returns ``--records``
aiokafka ``ConsumerRecord`` s of ``streams.bench.data`` readings spread over the partitions,
fenced as the worker's consumer thread fences them (``streams.seek_fence.fence``), and
``getmany`` hands them over as ``ConsumerMessage`` s, as the drain loop takes them. Three
ways: Faust's ``Consumer.getmany`` and its round robin (``DefaultSchedulingStrategy``);
``streams.end_offsets.getmany`` with Faust's round robin (session 43); and that with
``streams.round_robin.RoundRobin`` (session 44, the worker's own). Each round runs every way,
rotating which goes first; prints the CPU per record (``time.process_time``) of each, per
round, and the ratios of each step to the one before.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord
from faust.transport.consumer import Consumer
from faust.transport.utils import DefaultSchedulingStrategy
from faust.types.tuples import TP

from alerts.encoded import exact
from streams import end_offsets
from streams.app import create_app
from streams.bench import data
from streams.round_robin import RoundRobin
from streams.seek_fence import fence
from streams.settings import Settings
from streams.topics import Topic, topic_name

TOPICS = (Topic.TELEMETRY, Topic.ALERTS, Topic.ETA, Topic.DEADLETTER)
"""The topics a fetch spreads over, in order (``--topics``; a sink's fetch spans several)."""


def _fetch(topics: list[str], records: int, partitions: int) -> dict[TP, list[Any]]:
    """One fetch: ``records`` readings round-robin over ``partitions`` of each topic."""
    start = data.start_for(records + 1)
    fetched: dict[TP, list[Any]] = {TP(t, p): [] for t in topics for p in range(partitions)}
    for n in range(records):
        topic = topics[n % len(topics)]
        partition = n // len(topics) % partitions
        key = data.shipment_id(n % 10_000).encode()
        value = exact(data.reading(n % 10_000, n // 10_000, -180.0, start))
        fetched[TP(topic, partition)].append(
            ConsumerRecord(
                topic, partition, n, 1_790_000_000_000, 0, key, value, None, len(key),
                len(value), (),
            )
        )  # fmt: skip
    return fetched


async def _handed_over(way: tuple[Any, Any], consumer: Any, fetches: int) -> float:
    """CPU seconds per record for a way (its ``getmany`` and round robin) to hand ``fetches``
    fetches over."""
    getmany, consumer.scheduler = way
    gc.collect()
    handed = 0
    began = time.process_time()
    for _ in range(fetches):
        async for _tp, _message in getmany(consumer, timeout=1.0):
            handed += 1
    return (time.process_time() - began) / handed


async def _run(records: int, partitions: int, topics: int, fetches: int, rounds: int) -> None:
    settings = Settings()
    names = [topic_name(settings, t) for t in TOPICS[:topics]]
    app = create_app(settings, "process")  # patches Faust's consumer (end_offsets among them)
    faust_getmany = getattr(Consumer, end_offsets._MARK)
    consumer: Any = app.consumer
    kafka = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # never started: no broker
    fetch = _fetch(names, records, partitions)
    kafka.assign(list(fetch))
    consumer._thread._consumer = kafka
    app.flow_control.resume()  # as after a partition assignment
    consumer.resume_flow()

    async def wait_next_records(timeout: float) -> tuple[Any, Any]:
        # None: every partition active (a client-only app's shape)
        return fence(consumer._thread, fetch), None

    consumer._wait_next_records = wait_next_records
    ways = {
        "faust": (faust_getmany, DefaultSchedulingStrategy()),
        "per fetch": (end_offsets.getmany, DefaultSchedulingStrategy()),
        "round robin": (end_offsets.getmany, RoundRobin()),
    }
    print(
        f"{records:,} records a fetch over {partitions} partitions of {topics} topic(s), "
        f"{fetches} fetches a way"
    )
    try:
        for r in range(rounds):
            order = list(ways)[r % 3 :] + list(ways)[: r % 3]
            cpu = {way: await _handed_over(ways[way], consumer, fetches) for way in order}
            print(
                f"  round {r + 1}: Faust's getmany {cpu['faust'] * 1e6:.2f} µs a record, "
                f"end offsets per fetch {cpu['per fetch'] * 1e6:.2f} µs "
                f"(ratio {cpu['per fetch'] / cpu['faust']:.2f}), "
                f"and round robin {cpu['round robin'] * 1e6:.2f} µs "
                f"(ratio {cpu['round robin'] / cpu['per fetch']:.2f})"
            )
    finally:
        await kafka.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=5_000, help="records a fetch")
    parser.add_argument("--partitions", type=int, default=8, help="partitions a topic")
    parser.add_argument("--topics", type=int, default=1, choices=range(1, len(TOPICS) + 1))
    parser.add_argument("--fetches", type=int, default=40, help="fetches per way and round")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(_run(args.records, args.partitions, args.topics, args.fetches, args.rounds))


if __name__ == "__main__":
    main()
