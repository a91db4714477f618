"""Benchmark: CPU per record of Faust's getmany handing a fetch over, its own against end offsets noted once per partition.

In process, no broker: a process worker's app (``streams.app.create_app``), its consumer's
thread given an aiokafka consumer that is never started, with ``--partitions`` telemetry
partitions assigned, so that ``Consumer.highwater`` runs its whole chain (Faust's thread
delegate, its consumer thread, aiokafka's subscription state) and the monitor is the
worker's own (``LeanMonitor``). Each fetch (``_wait_next_records``) returns ``--records``
aiokafka ``ConsumerRecord`` s of ``streams.bench.data`` readings spread over the partitions,
and ``getmany`` (Faust's ``Consumer.getmany``, or ``streams.end_offsets.getmany``) hands them
over as ``ConsumerMessage`` s, as the drain loop takes them. Each round runs both ways,
alternating which goes first; prints the CPU per record (``time.process_time``) of each, per
round, and their ratio.
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
from faust.types.tuples import TP

from alerts.encoded import exact
from streams import end_offsets
from streams.app import create_app
from streams.bench import data
from streams.settings import Settings
from streams.topics import Topic, topic_name


def _fetch(topic: str, records: int, partitions: int) -> dict[TP, list[Any]]:
    """One fetch: ``records`` readings round-robin over ``partitions``."""
    start = data.start_for(records + 1)
    fetched: dict[TP, list[Any]] = {TP(topic, p): [] for p in range(partitions)}
    for n in range(records):
        partition = n % partitions
        key = data.shipment_id(n % 10_000).encode()
        value = exact(data.reading(n % 10_000, n // 10_000, -180.0, start))
        fetched[TP(topic, partition)].append(
            ConsumerRecord(
                topic, partition, n, 1_790_000_000_000, 0, key, value, None, len(key),
                len(value), (),
            )
        )  # fmt: skip
    return fetched


async def _handed_over(getmany: Any, consumer: Any, fetches: int) -> float:
    """CPU seconds per record for ``getmany`` to hand ``fetches`` fetches over."""
    gc.collect()
    handed = 0
    began = time.process_time()
    for _ in range(fetches):
        async for _tp, _message in getmany(consumer, timeout=1.0):
            handed += 1
    return (time.process_time() - began) / handed


async def _run(records: int, partitions: int, fetches: int, rounds: int) -> None:
    settings = Settings()
    topic = topic_name(settings, Topic.TELEMETRY)
    app = create_app(settings, "process")  # patches Faust's consumer (end_offsets among them)
    faust_getmany = getattr(Consumer, end_offsets._MARK)
    consumer: Any = app.consumer
    kafka = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")  # never started: no broker
    fetch = _fetch(topic, records, partitions)
    kafka.assign(list(fetch))
    consumer._thread._consumer = kafka
    app.flow_control.resume()  # as after a partition assignment
    consumer.resume_flow()

    async def wait_next_records(timeout: float) -> tuple[Any, Any]:
        return fetch, None  # None: every partition active (a client-only app's shape)

    consumer._wait_next_records = wait_next_records
    ways = {"faust": faust_getmany, "per fetch": end_offsets.getmany}
    print(f"{records:,} records a fetch over {partitions} partitions, {fetches} fetches a way")
    try:
        for r in range(rounds):
            order = list(ways) if r % 2 == 0 else list(reversed(ways))
            cpu = {way: await _handed_over(ways[way], consumer, fetches) for way in order}
            print(
                f"  round {r + 1}: Faust's getmany {cpu['faust'] * 1e6:.2f} µs a record, "
                f"noted per fetch {cpu['per fetch'] * 1e6:.2f} µs "
                f"(ratio {cpu['per fetch'] / cpu['faust']:.2f})"
            )
    finally:
        await kafka.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=5_000, help="records a fetch")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--fetches", type=int, default=40, help="fetches per way and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(_run(args.records, args.partitions, args.fetches, args.rounds))


if __name__ == "__main__":
    main()
