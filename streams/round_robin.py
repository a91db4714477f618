"""The consumer's round robin over a fetch's topics and partitions, without Faust's extra layer.

Faust's consumer hands a fetch's records over in round robin, first between topics, then
between each topic's partitions (``faust.transport.utils.DefaultSchedulingStrategy``). Each
record goes through two generators and a Python method: the strategy's ``records_iterator``
calls ``next`` on a ``TopicBuffer``, whose ``__next__`` resumes its own ``__iter__``
generator, which resumes the partition's iterator. That cost about 0.45 µs a record (and
about 5 % of a sink worker's event-loop samples in the backlog; docs/benchmarks.md,
sessions 43 and 44).

``RoundRobin`` is the app's ``ConsumerScheduler`` (a Faust setting). It hands over the same
records in the same order, pulling each partition's iterator at the same moments: Faust's
partitions are lazy (``streams.seek_fence.FencedRecords`` checks for a seek as each record
is taken), so the order of the pulls matters, not only the order of the records. A fetch of
one topic, the usual case, is a single generator over its partitions, and a fetch of one
partition a plain loop over it.

Checked against faust-streaming 0.15.3 (constraints.txt).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from faust.types import TP
from faust.types.transports import SchedulingStrategyT

__all__ = ["RoundRobin"]

_SPENT: Any = object()
"""What ``next`` gives for an exhausted iterator here (never a record)."""


class RoundRobin(SchedulingStrategyT):
    """Round robin between a fetch's topics, then between each topic's partitions, in the
    order Faust's default strategy uses (the fetch's own order of partitions)."""

    def __init__(self) -> None:
        pass

    def iterate(self, records: Mapping[TP, list[Any]]) -> Iterator[tuple[TP, Any]]:
        """The fetch's ``(tp, record)`` pairs, taken from each partition as they are asked for."""
        topics: dict[str, list[tuple[TP, Iterator[Any]]]] = {}
        for tp, messages in records.items():
            buffers = topics.get(tp.topic)
            if buffers is None:
                topics[tp.topic] = [(tp, iter(messages))]
            else:
                buffers.append((tp, iter(messages)))
        if len(topics) == 1:
            (buffers,) = topics.values()
            return _partitions(buffers)
        return _topics([_partitions(buffers) for buffers in topics.values()])


def _partitions(buffers: list[tuple[TP, Iterator[Any]]]) -> Iterator[tuple[TP, Any]]:
    """One topic's records: a record from each partition in turn; a partition found empty in
    a round is dropped before the next (``TopicBuffer.__iter__``'s order)."""
    if len(buffers) == 1:
        ((tp, records),) = buffers
        for record in records:
            yield tp, record
        return
    while buffers:
        spent: list[tuple[TP, Iterator[Any]]] | None = None
        for entry in buffers:
            record = next(entry[1], _SPENT)
            if record is _SPENT:
                if spent is None:
                    spent = []
                spent.append(entry)
                continue
            yield entry[0], record
        if spent is not None:
            buffers = [entry for entry in buffers if entry not in spent]


def _topics(topics: list[Iterator[tuple[TP, Any]]]) -> Iterator[tuple[TP, Any]]:
    """Several topics' records: a record from each topic in turn; a topic found empty in a
    round is dropped before the next (``records_iterator``'s order)."""
    while topics:
        spent: list[Iterator[tuple[TP, Any]]] | None = None
        for topic in topics:
            item = next(topic, _SPENT)
            if item is _SPENT:
                if spent is None:
                    spent = []
                spent.append(topic)
                continue
            yield item
        if spent is not None:
            topics = [topic for topic in topics if topic not in spent]
