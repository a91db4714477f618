"""Benchmark: CPU per record and produce requests per second of the workers' producer, by linger.

Against the real local broker (``cryotrace infra up --no-topics`` first; the bench creates
the topics): an aiokafka producer configured as a worker's (``acks`` all, batches of up to
256 KiB, ``linger_ms`` the way under test) sends ``--rate`` records a second of ``--size``
bytes, round-robin over every partition of ``--topics`` of cryotrace's output topics, in
ticks of 5 ms, for ``--seconds`` a way and round, then waits for every ack. Each round runs
every linger, rotating which goes first. Prints, per way and round, the process CPU per
record (``time.process_time``, the acks' wait included), the produce requests the sender made
a second (counted around aiokafka's ``Sender._send_produce_req``) and the records a request.

A process worker produces its outputs and its state changelog through one such producer
(``streams.app.create_app``'s ``producer_linger_ms``): aiokafka keeps one request in flight
a broker and sends the next once the batches have lingered, so the linger bounds how many
requests a second, and each request costs Python work to encode beyond its bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from aiokafka import AIOKafkaProducer

from streams.kafka_clients import ensure_topics
from streams.settings import Settings
from streams.topics import Topic, topic_name

TOPICS = (Topic.ALERTS, Topic.ETA, Topic.DEADLETTER)
"""The topics the records spread over (``--topics`` of them): a process worker's outputs."""


async def _one_way(
    settings: Settings, linger_ms: int, topics: list[str], rate: int, size: int, seconds: float
) -> tuple[float, float, float]:
    """CPU µs a record, requests a second and records a request, for one linger."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka.bootstrap,
        acks="all",
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    sender: Any = producer._sender
    send_request = sender._send_produce_req
    requests = 0

    async def counted(node_id: Any, batches: Any) -> Any:
        nonlocal requests
        requests += 1
        return await send_request(node_id, batches)

    sender._send_produce_req = counted
    try:
        partitions = [(t, p) for t in topics for p in (await producer.partitions_for(t)) or ()]
        value = b"x" * size
        per_tick = max(1, rate * 5 // 1000)
        sent = 0
        loop = asyncio.get_running_loop()
        began_cpu, began = time.process_time(), loop.time()
        deadline = began + seconds
        while loop.time() < deadline:
            tick = loop.time()
            for _ in range(per_tick):
                topic, partition = partitions[sent % len(partitions)]
                await producer.send(topic, value, key=b"%d" % sent, partition=partition)
                sent += 1
            await asyncio.sleep(max(0.0, tick + 0.005 - loop.time()))
        await producer.flush()
        elapsed = loop.time() - began
        cpu = time.process_time() - began_cpu
    finally:
        await producer.stop()
    return cpu / sent * 1e6, requests / elapsed, sent / max(requests, 1)


async def _run(
    lingers: list[int], topics: int, rate: int, size: int, seconds: float, rounds: int
) -> None:
    settings = Settings()
    await asyncio.to_thread(ensure_topics, settings)
    names = [topic_name(settings, t) for t in TOPICS[:topics]]
    print(f"{rate:,} records/s of {size} B over {topics} topic(s), {seconds:.0f} s a way")
    for r in range(rounds):
        order = lingers[r % len(lingers) :] + lingers[: r % len(lingers)]
        figures = {
            linger: await _one_way(settings, linger, names, rate, size, seconds) for linger in order
        }
        print(
            f"  round {r + 1}: "
            + "; ".join(
                f"linger {linger} ms: {cpu:.2f} µs a record, {req:.0f} requests/s, "
                f"{per:.0f} records a request"
                for linger, (cpu, req, per) in sorted(figures.items())
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lingers", default="5,20", help="linger_ms values, comma-separated")
    parser.add_argument("--topics", type=int, default=3, choices=range(1, len(TOPICS) + 1))
    parser.add_argument("--rate", type=int, default=10_000, help="records a second")
    parser.add_argument("--size", type=int, default=900, help="bytes a record")
    parser.add_argument("--seconds", type=float, default=10.0, help="a way and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    lingers = [int(v) for v in args.lingers.split(",")]
    asyncio.run(_run(lingers, args.topics, args.rate, args.size, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
