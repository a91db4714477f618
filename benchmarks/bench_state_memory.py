"""Benchmark: the memory a process worker holds per active shipment and per kept reading.

Builds the states the way a ``--role process`` worker does: ``streams.bench.data`` traffic
(readings round-robin over the shipments, as ``cryotrace bench`` sends them) through
``process_batch``, the changed states into ``ShipmentStates`` over an in-memory table, a
checkpoint every ``--checkpoint-every`` batches stored into the table (the bytes the Faust
memory table keeps per shipment), encoded in turns of ``--turn-seconds`` whose records are let
go of after each turn, as the worker hands each turn's to the producer (0: the whole
checkpoint's records held at once, as before session 33, about 4.5 KB a shipment more). Each
message's value is in a buffer of its own size, as the consumer slices it from a fetch (before
session 34 the bench fed orjson's 4 KiB output buffers, held for a batch among the states'
objects: 33.2 KB a shipment at 3,000 x 100 against 28.5). Then it prints, per shipment and per
kept reading:

- the RSS above the process after a small warm-up (``/proc/self/status``, after a collection);
- on glibc, what the allocators under the objects grew by: CPython's small-object arenas
  (``sys._debugmallocstats``: live blocks, free blocks in pools in use, empty pools the arenas
  keep) and glibc's heap (``mallinfo2``: in use, free) and mapped blocks, so the RSS above the
  live objects shows as free space in one or the other;
- the live objects split by what holds them (a deep walk of the table's bytes, then each
  state's fields and the cache's dict; an object reachable from several holders counts once,
  for the first walked);
- with ``--tracemalloc``, the traced memory and its top allocation sites grouped by line
  (tracing slows the run and inflates RSS, so it is off by default).

Run it with ``PYTHONPATH=<old tree>`` to measure another tree (it uses only what both have).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import os
import re
import sys
import tempfile
import tracemalloc
from collections.abc import Iterator
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, NamedTuple

from alerts.encoded import exact
from streams.bench import data
from streams.heap_tuning import mallinfo2
from streams.partitioning import partition_for
from streams.processor import process_batch
from streams.settings import Settings
from streams.state_store import ChangelogRecord, ShipmentStates, write_order
from streams.testing import ConsumedMessage, StateTable
from streams.topics import Topic, topic_name


def _rss() -> int:
    """Resident set size of this process in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _trimmed_rss() -> int:
    """The RSS once glibc gave its free heap back (``malloc_trim(0)``)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc_trim(0)
    return _rss()


class Allocators(NamedTuple):
    """What the allocators under the objects hold at a moment, in bytes."""

    small: int  # CPython's small-object arenas (objects of at most 512 bytes)
    small_live: int  # of them, in live blocks
    small_free: int  # free blocks in pools still in use
    small_empty: int  # empty pools that arenas still in use keep
    heap: int  # glibc's heap (``mallinfo2``: larger objects, buffers)
    heap_live: int
    heap_free: int
    mapped: int  # blocks glibc mapped on their own


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"no {pattern!r} in sys._debugmallocstats()")
    return int(found.group(1).replace(",", ""))


def _allocators() -> Allocators | None:
    """The allocators' figures (None off glibc, or with CPython's small-object allocator
    off, as under ``PYTHONMALLOC=malloc``): CPython's from ``sys._debugmallocstats``, which
    writes them to the process's stderr, and glibc's from ``mallinfo2``."""
    with tempfile.TemporaryFile() as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    heap = mallinfo2()
    if heap is None or "arenas allocated" not in text:  # pymalloc off: it prints nothing
        return None
    return Allocators(
        small=_number(r"arenas \* \d+ bytes/arena\s*=\s*([\d,]+)", text),
        small_live=_number(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text),
        small_free=_number(r"# bytes in available blocks\s*=\s*([\d,]+)", text),
        small_empty=_number(r"unused pools \* \d+ bytes\s*=\s*([\d,]+)", text),
        heap=heap.arena,
        heap_live=heap.uordblks,
        heap_free=heap.fordblks,
        mapped=heap.hblkhd,
    )


def _batches(
    settings: Settings, shipments: int, per: int, first: int, size: int
) -> Iterator[list[ConsumedMessage]]:
    """The manifests, then ``per`` readings per shipment, as consumed message batches;
    shipments are numbered from ``first``."""
    partitions = settings.topics.partitions
    now = datetime.now(tz=UTC).timestamp()
    telemetry = topic_name(settings, Topic.TELEMETRY)
    manifests = topic_name(settings, Topic.SHIPMENTS)
    offsets = [0] * partitions
    start = data.start_for(per + 1)

    def message(topic: str, sid: str, value: bytes) -> ConsumedMessage:
        partition = partition_for(sid, partitions)
        offsets[partition] += 1
        # in a buffer of its own size, as the consumer slices it from a fetch: orjson's output
        # (4 KiB at least) held for a batch among the states' objects overstated the RSS
        value = exact(value)
        return ConsumedMessage(topic, value, partition, offsets[partition], sid.encode(), now)

    def stream() -> Iterator[ConsumedMessage]:
        for index in range(first, first + shipments):
            yield message(
                manifests,
                data.shipment_id(index),
                data.manifest(index, start),
            )
        for n, (_, value) in enumerate(data.readings(per * shipments, shipments, start)):
            index = first + n % shipments
            seq = n // shipments
            if first:  # shift the shipment numbers (warm-up shipments stay apart)
                temperature = -180.0
                value = data.reading(index, seq, temperature, start)
            yield message(telemetry, data.shipment_id(index), value)

    batch: list[ConsumedMessage] = []
    for item in stream():
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def checkpoint(states: ShipmentStates, turn: float) -> None:
    """A checkpoint stored as the worker stores it: encoded in turns of ``turn`` seconds (0:
    at once), each turn's records let go of but the chunks and deletions ``stored`` reads."""
    if not turn:
        states.stored(states.checkpoint())
        return
    begun = states.begin()
    kept: list[ChangelogRecord] = []
    done = False
    while not done:
        done = states.encode(turn)
        chunks, rest = write_order(states.records(begun))
        kept += chunks
        kept += [r for r in rest if r.value is None]
    states.stored(kept)


def build(
    settings: Settings,
    shipments: int,
    per: int,
    first: int,
    size: int,
    every: int,
    turn: float = 0.0,
) -> tuple[ShipmentStates, StateTable]:
    """The worker's states and table after ``per`` readings for each of ``shipments``."""
    table = StateTable()
    states = ShipmentStates(table, settings.topics.partitions)
    for n, batch in enumerate(_batches(settings, shipments, per, first, size), start=1):
        states.update(process_batch(settings, batch, states.load).states)
        if n % every == 0:
            checkpoint(states, turn)
    checkpoint(states, turn)
    return states, table


_SKIP = (type, ModuleType, FunctionType, BuiltinFunctionType)


class Walker:
    """Deep sizes; every object counted once, for the first holder that reaches it."""

    def __init__(self) -> None:
        self.counted: set[int] = set()

    def size(self, root: object) -> int:
        total = 0
        stack = [root]
        counted = self.counted
        while stack:
            obj = stack.pop()
            if isinstance(obj, _SKIP) or id(obj) in counted:
                continue
            counted.add(id(obj))
            total += sys.getsizeof(obj)
            stack.extend(gc.get_referents(obj))
        return total


def _field_names(state: object) -> list[str]:
    if is_dataclass(state):
        return [f.name for f in fields(state)]
    return list(getattr(state, "__slots__", ())) or list(vars(state))


def split(states: ShipmentStates, table: StateTable) -> dict[str, int]:
    """Bytes of live objects by holder: each state field, the table, the containers."""
    cache: dict[str, Any] = states._cache  # the worker's own cache
    walker = Walker()
    for always in (None, True, False):
        walker.counted.add(id(always))
    out: dict[str, int] = {}
    # the table's bytes first: a state's kept JSON (its history's, its manifest's) may be
    # read from them, and they are held anyway, so the fields show only what they add
    out["table bytes"] = sum(walker.size(v) + walker.size(k) for k, v in table.data.items())
    order = ["history", "seen", "manifest", "encoding"]
    names = _field_names(next(iter(cache.values())))
    names = [n for n in order if n in names] + [n for n in names if n not in order]
    for name in names:
        out[name] = sum(walker.size(getattr(s, name, None)) for s in cache.values())
    out["state objects"] = sum(sys.getsizeof(s) for s in cache.values())
    out["dicts (cache, table)"] = sys.getsizeof(cache) + sys.getsizeof(table.data)
    return out


def main() -> None:
    """Build the states and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shipments", type=int, default=2_000)
    parser.add_argument("--readings", type=int, default=100, help="readings per shipment")
    parser.add_argument("--batch", type=int, default=2_000, help="messages per batch")
    parser.add_argument("--checkpoint-every", type=int, default=10, help="batches")
    parser.add_argument(
        "--turn-seconds",
        type=float,
        default=Settings().stream.checkpoint_turn_seconds,
        help="checkpoints encoded in turns this long, as the worker's (0: at once)",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="trace allocation sites")
    parser.add_argument("--top", type=int, default=15, help="allocation sites shown")
    parser.add_argument("--label", default="", help="prefix of the result lines")
    parser.add_argument(
        "--trim",
        action="store_true",
        help="also print the RSS after glibc's malloc_trim (free heap given back to the OS)",
    )
    args = parser.parse_args()

    settings = Settings(topic_prefix="bench")
    # warm-up: lazy imports and caches, on other shipments, dropped before the baseline
    warm = build(settings, 20, 5, 900_000, args.batch, args.checkpoint_every, args.turn_seconds)
    del warm
    gc.collect()
    if args.tracemalloc:
        tracemalloc.start()
    gc.collect()
    idle = _rss()
    allocators_idle = _allocators()
    states, table = build(
        settings,
        args.shipments,
        args.readings,
        0,
        args.batch,
        args.checkpoint_every,
        args.turn_seconds,
    )
    gc.collect()
    rss = _rss() - idle
    snapshot = tracemalloc.take_snapshot() if args.tracemalloc else None
    traced = tracemalloc.get_traced_memory()[0] if args.tracemalloc else 0
    kept = sum(len(s.history) for s in states._cache.values())
    n = args.shipments
    label = f"{args.label}: " if args.label else ""
    print(
        f"{label}{n:,} shipments x {args.readings} readings ({kept:,} kept), "
        f"batches {args.batch:,}, checkpoint every {args.checkpoint_every} "
        f"in turns of {args.turn_seconds} s"
        f"{' (tracemalloc on: RSS inflated)' if args.tracemalloc else ''}"
    )
    print(
        f"  RSS above warm idle: {rss / 2**20:,.1f} MiB = {rss / n:,.0f} B/shipment, "
        f"{rss / kept:,.0f} B/kept reading, {rss / n * 10_000 / 1e6:,.0f} MB per 10,000 shipments"
    )
    if args.trim:
        trimmed = _trimmed_rss() - idle
        print(
            f"  RSS after malloc_trim: {trimmed / 2**20:,.1f} MiB = {trimmed / n:,.0f} B/shipment, "
            f"{trimmed / kept:,.0f} B/kept reading (the rest of the RSS above: free heap)"
        )
    allocators = _allocators()
    if allocators is not None and allocators_idle is not None:
        grown = Allocators(*(b - a for a, b in zip(allocators_idle, allocators, strict=True)))
        print(
            f"  allocators (B/shipment): small-object arenas {grown.small / n:,.0f} (live blocks "
            f"{grown.small_live / n:,.0f}, free blocks {grown.small_free / n:,.0f}, empty pools "
            f"{grown.small_empty / n:,.0f}); glibc heap {grown.heap / n:,.0f} (in use "
            f"{grown.heap_live / n:,.0f}, free {grown.heap_free / n:,.0f}); mapped "
            f"{grown.mapped / n:,.0f}"
        )
    parts = split(states, table)
    total = sum(parts.values())
    print(
        f"  live objects: {total / n:,.0f} B/shipment, {total / kept:,.0f} B/kept reading; by holder "
        "(B/shipment, B/kept reading):"
    )
    for name, size in sorted(parts.items(), key=lambda kv: -kv[1]):
        if size:
            print(f"    {name:<22} {size / n:>9,.0f} {size / kept:>8,.1f}")
    if snapshot is not None:
        print(
            f"  traced: {traced / n:,.0f} B/shipment, {traced / kept:,.0f} B/kept reading; "
            "top allocation sites (B per kept reading, blocks per kept reading):"
        )
        for stat in snapshot.statistics("lineno")[: args.top]:
            frame = stat.traceback[0]
            where = "/".join(frame.filename.split("/")[-2:])
            print(
                f"    {stat.size / kept:>7,.1f} {stat.count / kept:>5.2f}  {where}:{frame.lineno}"
            )


if __name__ == "__main__":
    main()
