"""Benchmark: the stream processor's core in process, readings per CPU-second on one core.

What one ``--role process`` worker does per batch, without Kafka or Faust: ``process_batch``
over fake consumed messages (decode, routing, rules, alerts, ETA), the changed states into
``ShipmentStates`` and, every ``--checkpoint-every`` batches, ``checkpoint()`` into an
in-memory table (what the changelog would receive). Data: ``streams.bench.data``, readings
round-robin over the shipments, as ``cryotrace bench`` produces them. Timed with the process
CPU clock (``time.process_time``), the collector tuned as on a worker (``streams.gc_tuning``).

``--late-manifests F`` delivers the first F of the readings before the manifests (they wait
in the pending lists, as when the telemetry topic is consumed ahead of the shipments one).
``--warm R`` folds R readings per shipment first, untimed (long histories, as in a trip's
later hours). ``--settle-every N`` runs the live clock (``clock_step``: ``settle``, then
``tick``) over every cached state after every N batches, as the worker's timer does every
``tick_seconds``, its wall clock at the newest reading's time (its CPU is counted
separately, as ``clock``). ``--restart-every N`` starts a new ``ShipmentStates`` over the
table after every N batches (a restarted or reassigned worker: states decoded again, runtime
caches gone). ``--probes`` makes every tenth reading one of ``streams.bench.load``'s 50 probe
shipments', which flip an excursion at every reading (the latency phase's mix: an alert at
every probe reading, the probes' episodes piling up). Prints readings/s, the per-reading CPU
split into process and checkpoint, and the changelog bytes per reading.

To measure another tree, run it with ``PYTHONPATH=<tree>``: ``python benchmarks/...`` puts
``benchmarks/`` first on the path, not the working directory, so without it the project's
editable install imports the main checkout whatever the directory (two "alternated" trees in
session 39 were both the main checkout that way).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.encoded import exact
from streams.bench import data, load
from streams.gc_tuning import tune_gc
from streams.partitioning import partition_for
from streams.processor import clock_step, process_batch
from streams.settings import Settings
from streams.state_store import ShipmentStates
from streams.testing import ConsumedMessage, StateTable
from streams.topics import Topic, topic_name


@dataclass
class Figures:
    readings: int = 0
    process_s: float = 0.0
    checkpoint_s: float = 0.0
    clock_s: float = 0.0
    changelog_bytes: int = 0
    records: int = 0
    alerts: int = 0
    eta: int = 0
    dead_letters: int = 0

    @property
    def total_s(self) -> float:
        return self.process_s + self.clock_s + self.checkpoint_s


def _messages(
    settings: Settings,
    start: datetime,
    readings: tuple[int, int],
    shipments: int,
    *,
    manifests_after: int | None,
    probes: bool = False,
) -> Iterator[ConsumedMessage]:
    """Readings ``readings[0]`` to ``readings[1]`` (round-robin, ``streams.bench.data``) as
    consumed messages, the manifests before the ``manifests_after``-th (None: none); with
    ``probes`` a probe reading before every ninth of them (the probe manifests first)."""
    partitions = settings.topics.partitions
    now = datetime.now(tz=UTC).timestamp()
    telemetry = topic_name(settings, Topic.TELEMETRY)
    shipments_topic = topic_name(settings, Topic.SHIPMENTS)
    offsets = [0] * partitions

    def message(topic: str, sid: str, value: bytes) -> ConsumedMessage:
        partition = partition_for(sid, partitions)
        offsets[partition] += 1
        # in a buffer of its own size, as the consumer slices it from a fetch: orjson's output
        # (4 KiB at least) held for a batch among the states' objects overstated the RSS
        value = exact(value)
        return ConsumedMessage(topic, value, partition, offsets[partition], sid.encode(), now)

    def manifests() -> Iterator[ConsumedMessage]:
        for index in range(shipments):
            # created an hour before the first reading, as cryotrace bench's: a reading
            # recorded before its manifest's created_at keeps the ETA replay from leaving
            # checkpoints there, so every settle would replay the shipment from the start
            value = data.manifest(index, start)
            yield message(shipments_topic, data.shipment_id(index), value)

    if probes:
        for index in range(load.PROBES):
            sid = load.probe_id(index)
            yield message(shipments_topic, sid, load.probe_manifest(sid, index, start))
    # probe readings 100 ms apart (10 a second each, as offered), ending before now
    probe_steps = readings[1] // (9 * load.PROBES) + 1
    probe_start = datetime.fromtimestamp(now, UTC) - timedelta(seconds=probe_steps / 10 + 60)
    first, last = readings
    for n, (sid, value) in enumerate(data.readings(last, shipments, start)):
        if n == manifests_after:
            yield from manifests()
        if n >= first:
            if probes and n % 9 == 0:
                step, index = divmod(n // 9, load.PROBES)
                probe = load.probe_id(index)
                at = probe_start + timedelta(seconds=step / 10)
                yield message(telemetry, probe, load.probe_reading(probe, step, at)[0])
            yield message(telemetry, sid, value)
    if manifests_after is not None and manifests_after >= last:
        yield from manifests()


def _batches(messages: Iterator[ConsumedMessage], size: int) -> Iterator[list[ConsumedMessage]]:
    batch: list[ConsumedMessage] = []
    for message in messages:
        batch.append(message)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(args: argparse.Namespace) -> Figures:
    """One timed pass; the figures."""
    settings = Settings(topic_prefix="bench")
    table = StateTable()
    states = ShipmentStates(table, settings.topics.partitions)
    warm = args.warm * args.shipments
    start = data.start_for((warm + args.events) // args.shipments + 1)
    late = int(args.events * args.late_manifests)
    messages = _messages(
        settings,
        start,
        (warm, warm + args.events),
        args.shipments,
        manifests_after=None if warm else late,
        probes=args.probes,
    )
    if warm:  # untimed: the manifests and ``warm`` readings per shipment first
        prefix = _messages(settings, start, (0, warm), args.shipments, manifests_after=0)
        for batch in _batches(prefix, args.batch):
            states.update(process_batch(settings, batch, states.load).states)
        states.stored(table.send(states.checkpoint()))
    batches = list(_batches(messages, args.batch))
    figures = Figures()
    if args.setup_only:  # for instruction counts: the same run without the timed part
        return figures
    tune_gc()
    clock = time.process_time
    partitions = set(range(settings.topics.partitions))
    for n, batch in enumerate(batches, start=1):
        began = clock()
        out = process_batch(settings, batch, states.load)
        figures.process_s += clock() - began
        states.update(out.states)
        figures.alerts += len(out.alerts)
        figures.eta += len(out.eta)
        figures.dead_letters += len(out.dead_letters)
        figures.readings += sum(1 for m in batch if m.topic.endswith("telemetry.v1"))
        if args.settle_every and n % args.settle_every == 0:
            owned = list(states.owned(partitions))  # untimed: the worker's table scan
            # a worker keeping up: its wall clock is at the newest reading's time
            newest = (warm + figures.readings - 1) // args.shipments
            wall = start + timedelta(seconds=data.INTERVAL_S * newest)
            began = clock()
            step = clock_step(settings, owned, wall)
            figures.clock_s += clock() - began
            states.update(step.states, touched=False)
            figures.alerts += len(step.alerts)
            figures.eta += len(step.eta)
            figures.dead_letters += len(step.dead_letters)
        began = clock()
        if n % args.checkpoint_every == 0 or n == len(batches):
            records = states.checkpoint()
            states.stored(table.send(records))
            figures.records += len(records)
            figures.changelog_bytes += sum(len(r.value or b"") for r in records)
        figures.checkpoint_s += clock() - began
        if args.restart_every and n % args.restart_every == 0:
            states.stored(table.send(states.checkpoint()))  # untimed: a worker stops after a
            # checkpoint and its successor starts over the table its recovery reads: every
            # state is decoded again on its first load, without the runtime caches (marks,
            # known estimates)
            table = table.recovered()
            states = ShipmentStates(table, settings.topics.partitions)
    gc.unfreeze()
    return figures


def main() -> None:
    """Run the benchmark and print the figures (best of the rounds by total CPU time)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="timed readings")
    parser.add_argument("--shipments", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=2_000, help="messages per batch")
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=10,
        help="batches between checkpoints (10 x 2,000 = the worker's checkpoint_events)",
    )
    parser.add_argument("--late-manifests", type=float, default=0.0, metavar="F")
    parser.add_argument("--warm", type=int, default=0, metavar="R")
    parser.add_argument(
        "--settle-every",
        type=int,
        default=0,
        metavar="N",
        help="run the live clock over every cached state after every N batches (0: never)",
    )
    parser.add_argument(
        "--restart-every",
        type=int,
        default=0,
        metavar="N",
        help="start over from the table after every N batches, as a restarted or reassigned "
        "worker does (0: never)",
    )
    parser.add_argument(
        "--probes",
        action="store_true",
        help="every tenth reading to one of 50 probe shipments that alert at every reading",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--label", default="", help="prefix of the result line")
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="stop before the timed part (its instructions, to subtract under callgrind)",
    )
    args = parser.parse_args()

    best: Figures | None = None
    for _ in range(args.rounds):
        figures = run(args)
        if best is None or figures.total_s < best.total_s:
            best = figures
    assert best is not None
    if not args.setup_only:
        _print(args, best)


def _print(args: argparse.Namespace, f: Figures) -> None:
    total = f.total_s
    per = 1e6 / f.readings
    line: dict[str, Any] = {
        "readings/s": f"{f.readings / total:,.0f}",
        "us/reading": f"{total * per:.1f}",
        "process": f"{f.process_s * per:.1f}",
        "clock": f"{f.clock_s * per:.1f}",
        "checkpoint": f"{f.checkpoint_s * per:.1f}",
        "changelog B/reading": f"{f.changelog_bytes / f.readings:,.0f}",
        "records": f.records,
        "alerts": f.alerts,
        "eta updates": f.eta,
        "dead letters": f.dead_letters,
    }
    text = "  ".join(f"{k} {v}" for k, v in line.items())
    shape = (
        f"{f.readings:,} readings / {args.shipments:,} shipments, batches {args.batch:,}, "
        f"checkpoint every {args.checkpoint_every}, warm {args.warm}, "
        f"late manifests {args.late_manifests:g}, settle every {args.settle_every}, "
        f"restart every {args.restart_every}, probes {args.probes}"
    )
    print(f"{args.label + ': ' if args.label else ''}{shape}\n  {text}", flush=True)


if __name__ == "__main__":
    main()
