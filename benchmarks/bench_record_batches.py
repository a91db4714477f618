"""Benchmark: CPU per record handed to the real local broker, one ``send`` each against ``RecordBatches``.

What the processor does per batch of events: a few hundred records (the validated readings
for the sink, about 400 bytes; the state changelog's, about 4 KB) spread over the partitions
of a topic, handed to the producer, then awaited together. Both ways use one aiokafka producer
with the workers' settings (linger 5 ms, batches of 256 KB); both ways alternate in rounds on
the same topic. Prints CPU and wall time per record (``time.process_time``: the producer's
sender runs in this process too).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.record_batches import RecordBatches
from streams.settings import Settings

PARTITIONS = 8


async def run(args: argparse.Namespace) -> None:
    bootstrap = Settings().kafka.bootstrap
    topic = f"bench-record-batches-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=256 * 1024
        )
        await producer.start()
        try:
            await _compare(producer, topic, args)
        finally:
            await producer.stop()
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _compare(producer: AIOKafkaProducer, topic: str, args: argparse.Namespace) -> None:
    keys = [b"SHP-%06d" % i for i in range(args.keys)]

    def per_record(value: bytes) -> Callable[[int], Awaitable[None]]:
        async def send(first: int) -> None:
            futures = []
            for i in range(first, first + args.batch):
                futures.append(await producer.send(topic, value, key=keys[i % len(keys)]))
            await asyncio.gather(*futures)

        return send

    def batched(value: bytes) -> Callable[[int], Awaitable[None]]:
        async def send(first: int) -> None:
            batches = RecordBatches(producer)
            for i in range(first, first + args.batch):
                await batches.add(topic, keys[i % len(keys)], value)
            await asyncio.gather(*await batches.flush())

        return send

    for size in args.sizes:
        value = os.urandom(size // 2).hex().encode()
        ways = {"send per record": per_record(value), "RecordBatches": batched(value)}
        for send in ways.values():  # warm-up: metadata, connections
            await send(0)
        cpu = dict.fromkeys(ways, 0.0)
        wall = dict.fromkeys(ways, 0.0)
        for _ in range(args.rounds):
            for name, send in ways.items():
                c0, w0 = time.process_time(), time.perf_counter()
                for first in range(0, args.records, args.batch):
                    await send(first)
                cpu[name] += time.process_time() - c0
                wall[name] += time.perf_counter() - w0
        total = args.records * args.rounds
        for name in ways:
            print(
                f"{size:>6,} B records, {name:16s} CPU {cpu[name] / total * 1e6:6.2f} us/record"
                f"  wall {wall[name] / total * 1e6:6.2f} us/record"
            )
        ratio = cpu["RecordBatches"] / cpu["send per record"]
        print(f"{size:>6,} B records, RecordBatches / send per record CPU: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40_000, help="records per way and round")
    parser.add_argument("--batch", type=int, default=500, help="records handed over together")
    parser.add_argument("--keys", type=int, default=10_000, help="distinct keys (shipments)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000], help="value bytes")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
