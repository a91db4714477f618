"""Offset continuity per input partition: a message the consumer skipped is read again."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
import structlog

from streams.positions import committed

log = structlog.get_logger(__name__)

SEEKS_PER_HOLE = 20
"""Seeks back to one missing offset before it is taken as gone from the log (retention)."""
RESEEK_SECONDS = 10.0
"""After a seek back, events beyond the hole are taken as read before the seek (already in the
stream's buffer) and skipped for this long; if the missing offset has not come by then, the
partition is sought again."""


@dataclass
class Admitted:
    """A batch's events in offset order, and where each partition with a hole must be read
    again from (``seek``: partition -> first missing offset)."""

    events: list[Any]
    seek: dict[Any, int] = field(default_factory=dict)
    gone: dict[Any, tuple[int, int]] = field(default_factory=dict)
    """Holes given up on after ``SEEKS_PER_HOLE`` seeks: partition -> (from, to) offsets."""
    stale: int = 0
    """Events read in an older consumer generation, dropped (read again from the committed
    offset by whoever owns their partition now)."""
    awaiting: int = 0
    """Events beyond a hole already sought back, skipped (read before the seek; they come
    again after the missing ones)."""


class OffsetGuard:
    """Checks that each input partition's events reach the processor without a hole.

    Within one consumer generation the offsets of a partition must follow each other from
    the committed offset the consumer started at. Faust can skip one: a record fetched before
    a seek that arrives after it moves the consumer's read position past the re-fetched
    ones, which it then drops, and acks of the later offsets commit past the lost message.
    An event beyond a hole is therefore not applied (nor acked) and the caller seeks back to
    the first missing offset (``streams.seek_fence`` makes the consumer deliver what it then
    fetches again); events read again that were already applied are kept (the rule engine and
    the warehouse ignore duplicates). Events beyond the hole that were read before the seek
    still come out of the stream's buffer: for ``RESEEK_SECONDS`` after the seek they are
    skipped without seeking again (each seek would throw away what the last one fetched).

    A batch gathered across a rebalance may also hold events read in an older generation:
    they are neither applied nor acked. Applied, they could meet a partly recovered state;
    acked, they could let the consumer commit past events nobody processed.
    """

    def __init__(self, reseek_after: float = RESEEK_SECONDS) -> None:
        self.reseek_after = reseek_after
        self._generation: int | None = None
        self._due: dict[Any, int] = {}
        self._seeks: dict[tuple[Any, int], int] = {}
        self._sought: dict[Any, tuple[int, float]] = {}  # tp -> (offset, when) of the last seek

    def due(self, tp: Any, generation: int) -> int | None:
        """The next offset of ``tp`` to apply in consumer ``generation`` (None when nothing
        of ``tp`` was applied in it)."""
        return self._due.get(tp) if generation == self._generation else None

    def admit(
        self,
        events: Sequence[Any],
        generation: int,
        committed: Callable[[Any], int | None],
        now: float,
    ) -> Admitted:
        """Sort ``events`` into those to apply and the holes to read again.

        ``committed(tp)`` gives the offset the consumer started the generation at (None when
        the group has none yet: the first offset read is then taken as the start); ``now`` is
        the caller's monotonic clock.
        """
        if generation != self._generation:
            self._generation = generation
            self._due.clear()
            self._seeks.clear()
            self._sought.clear()
        out = Admitted(events=[])
        for event in events:
            message = event.message
            if message.generation_id != generation:
                out.stale += 1
                continue
            tp, offset = message.tp, message.offset
            if tp in out.seek:
                continue
            due = self._due.get(tp)
            if due is None:
                due = committed(tp)
            if due is not None and offset > due:
                sought = self._sought.get(tp)
                if sought is not None and sought[0] == due and now - sought[1] < self.reseek_after:
                    out.awaiting += 1
                    continue
                tries = self._seeks.get((tp, due), 0)
                if tries < SEEKS_PER_HOLE:
                    self._seeks[(tp, due)] = tries + 1
                    self._sought[tp] = (due, now)
                    out.seek[tp] = due
                    continue
                out.gone[tp] = (due, offset - 1)
            self._sought.pop(tp, None)
            out.events.append(event)
            if due is None or offset >= due:
                self._due[tp] = offset + 1
        return out


async def read_again(app: faust.App, tp: Any, offset: int) -> None:
    """Make the consumer fetch ``tp`` again from ``offset``.

    Through ``seek_wait``, which runs the seek on the consumer's own thread: Faust's ``seek``
    calls aiokafka's from the event loop's thread, racing the fetcher there, which then fails
    on the records the seek dropped (``KeyError`` in ``Fetcher.fetched_records``; robinhood/
    aiokafka#19) and crashes the worker. The records fetched again reach the stream only with
    ``streams.seek_fence`` installed (``create_app`` does): without it, the rest of the batch
    being handed over moves Faust's read offset past them and they are dropped.
    """
    await app.consumer.seek_wait({tp: offset})


async def admit_in_order(
    app: faust.App, guard: OffsetGuard, events: Sequence[Any], *, agent: str
) -> list[Any]:
    """The events of a batch that follow on from what ``agent`` applied in this generation;
    a partition with a hole (a message the consumer skipped) is read again from there."""
    admitted = guard.admit(
        events, app.consumer_generation_id, partial(committed, app), time.monotonic()
    )
    if admitted.stale:
        log.info("input.stale_events_dropped", agent=agent, count=admitted.stale)
    if admitted.awaiting:
        log.debug("input.awaiting_read_again", agent=agent, count=admitted.awaiting)
    for tp, offset in admitted.seek.items():
        log.warning(
            "input.offset_hole", agent=agent, topic=tp.topic, partition=tp.partition, at=offset
        )
        await read_again(app, tp, offset)
    for tp, (first, last) in admitted.gone.items():
        log.error(
            "input.offsets_gone",
            agent=agent,
            topic=tp.topic,
            partition=tp.partition,
            first=first,
            last=last,
        )
    return admitted.events


STALL_SECONDS = 10.0
"""How long a partition may stay behind by the same count before it is read again."""


class StallWatch:
    """Partitions left behind with nothing moving: a message Faust dropped at a partition's
    end (the rebalance race ``OffsetGuard`` heals when a later message shows the hole) leaves
    no later message to show it, so the agent would wait for it until the next rebalance.

    ``observe`` gets each tick's backlog per partition; a partition behind by the same count
    for ``after`` seconds is returned once (then again after another ``after``) to be read
    again from its next offset. Only once the agent has applied nothing for that long: while
    it applies other partitions' events, a partition not fetched yet is merely waiting its
    turn (on a backlog the consumer serves partitions a few at a time: aiokafka hands out
    one partition's fetched records before the next, and Faust pauses fetching partitions
    while the stream buffer is under pressure), and seeking it would fetch it again for
    nothing. A message dropped while other partitions keep the agent busy is read when the
    next message of its partition shows the hole (``OffsetGuard``), or once the agent is
    idle. Pure: the caller passes the clock.
    """

    def __init__(self, after: float = STALL_SECONDS) -> None:
        self.after = after
        self._since: dict[Any, tuple[int, float]] = {}

    def observe(
        self, behind: Mapping[Any, int], now: float, *, progressed: bool = False
    ) -> list[Any]:
        """The partitions stalled as of ``now`` (``behind``: messages not applied, by tp;
        ``progressed``: the agent applied events since the last look, so every period
        starts again)."""
        if progressed:
            self._since = {tp: (count, now) for tp, count in behind.items() if count}
            return []
        stalled = []
        for tp in list(self._since):
            if not behind.get(tp):
                del self._since[tp]
        for tp, count in behind.items():
            if not count:
                continue
            seen = self._since.get(tp)
            if seen is None or seen[0] != count:
                self._since[tp] = (count, now)
            elif now - seen[1] >= self.after:
                stalled.append(tp)
                self._since[tp] = (count, now)
        return stalled
