"""Checkpoints under load in slices of the input partitions, taken in turn.

A checkpoint encodes every state it covers at once: each one before a batch changes it again,
so nearly all of them in the second or two after it begins (the first event of each). At
5,000 readings/s over 10,000 shipments that was a burst of about 10,000 encodings every
``checkpoint_seconds``, on an event loop already busy most of the time: the readings behind
it waited (the latency phase's p50 rose from 0.1-0.6 s to 1.1-1.6 s while one ran, see
docs/benchmarks.md, session 35). An event changes only the states of its own partition
(``streams.processor.process_batch`` forwards the others), so a checkpoint may cover some
partitions and ack only their events. Under load the agent checkpoints slice ``s`` (the
partitions ``p`` with ``p % slices == s``) every ``checkpoint_seconds / slices``, in turn:
each state still reaches the changelog every ``checkpoint_seconds``, and each burst is a
slice's states.

``stream.checkpoint_slices`` is 6 by default. In session 36 (docs/benchmarks.md), with the
worker above one core a reading at 5,000 readings/s (192-253 µs a reading), slices took the
bursts away from the p50 by second but the p99 was worse in three pairs of four. In session 48,
the worker at 135-168 µs a reading, four alternated pairs read a p99 of 0.22-0.72 s with 6
slices against 0.49-1.93 s with one (0.37-0.53 of it pair by pair), for the same CPU a reading
(138-167 against 135-168 µs).
"""

from __future__ import annotations

__all__ = ["CheckpointSlices"]


class CheckpointSlices:
    """Which slice of ``partitions`` input partitions the agent checkpoints next, and when.

    ``slices`` is bounded by the number of partitions (one slice: every checkpoint covers
    them all). ``now`` is a ``time.monotonic()`` reading: the first slice is due
    ``seconds / slices`` after it. ``last`` is when the last checkpoint began (of a slice, or
    of every partition): the agent's one record of it."""

    def __init__(self, slices: int, partitions: int, seconds: float, now: float) -> None:
        self.count = max(1, min(slices, partitions))
        self._slices = [
            frozenset(p for p in range(partitions) if p % self.count == s)
            for s in range(self.count)
        ]
        self.every = seconds / self.count
        self._next = 0
        self.last = now

    def due(self, now: float) -> bool:
        """Whether the next slice's checkpoint is due: ``every`` seconds after the last one
        (of a slice, or of all of them)."""
        return now - self.last >= self.every

    def take(self, now: float) -> frozenset[int] | None:
        """The partitions of the slice due (None: one slice, all of them), whose checkpoint
        begins ``now``; the next slice is due ``every`` seconds later."""
        taken = self._slices[self._next] if self.count > 1 else None
        self._next = (self._next + 1) % self.count
        self.last = now
        return taken

    def all_taken(self, now: float) -> None:
        """A checkpoint of every partition began ``now``: the next slice is due ``every``
        seconds later."""
        self.last = now
