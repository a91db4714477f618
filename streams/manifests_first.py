"""After an assignment, a worker's telemetry and custody partitions wait until its shipments partitions are read up to where they ended.

Faust fetches the input topics side by side, so a worker that starts on a backlog (a restart
after an outage, a rebalance onto a lagging partition, the bench) reads readings and custody
events of shipments whose manifest it has not read yet. The rules hold each of them, with its
JSON, in its shipment's pending list (``alerts.pending``) until the manifest comes: in memory,
and in every checkpoint of that state; those more than a day older than the newest held one
are dead-lettered (``manifest_timeout``), as are the oldest beyond 500 (``pending_overflow``).
How many wait depends on how the fetches interleave: 490 and 40,000 of 100,000 readings in two
runs of one bench (docs/benchmarks.md, session 9). Waiting leaves them in Kafka instead, and
the manifests, one per shipment, take little time to read.

``ManifestsFirst`` decides (pure: the caller gives the positions and the clock). From each
assignment, the other inputs' partitions (telemetry, custody, EPCIS; "telemetry" below) wait
until the processor's timer (``streams.process_agent``) finds every shipments partition read
up to the log end first seen for it (manifests produced later do not hold them back), or
``max_wait_s`` passed whatever happened (a manifest the agent never gets to would otherwise
hold every reading); then they are read on until the next assignment. Faust pauses every
assigned partition while it assigns them and resumes them once its tables are recovered;
``hold_resumes`` keeps it from resuming those still waiting, so not one reading is fetched
before the timer's first look. While they wait the timer pauses them again at every look
(Faust's stream-buffer flow control puts a partition it had set aside for a full buffer back
among the fetched ones); once they may go, it resumes them.

Checked against faust-streaming 0.15.3 (constraints.txt).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["ManifestsFirst", "hold_resumes"]

_HELD = "_cryotrace_held_resumes"


class ManifestsFirst:
    """Whether telemetry waits for the manifests in the current consumer generation."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s
        self._generation: int | None = None
        self._ends: dict[Any, int] = {}
        self._since = 0.0
        self._done = False
        self.held_back = False
        """Telemetry waited at least once in the current generation."""
        self.timed_out = False
        """The current generation's wait ended at ``max_wait_s``, not with the manifests read."""

    def done(self, generation: int) -> bool:
        """Telemetry no longer waits in ``generation`` (a new generation waits again)."""
        return self._done and generation == self._generation

    def waited_s(self, now: float) -> float:
        """How long the current generation's wait has lasted at ``now``."""
        return now - self._since

    def waits(
        self,
        generation: int,
        ends: Mapping[Any, int | None],
        positions: Mapping[Any, int],
        now: float,
    ) -> bool:
        """Whether the telemetry partitions wait at ``now``.

        ``ends``: each assigned shipments partition's log end as last fetched (None: not
        fetched yet, so not known to be read); ``positions``: the next offset of each the
        processor will apply. The first end seen for a partition in a generation is the one
        it must reach."""
        if generation != self._generation:
            self._generation, self._ends, self._since = generation, {}, now
            self._done = self.held_back = self.timed_out = False
        if self._done:
            return False
        for tp, end in ends.items():
            if end is not None:
                self._ends.setdefault(tp, end)
        behind = [tp for tp in ends if tp not in self._ends or positions[tp] < self._ends[tp]]
        if not behind:
            self._done = True
        elif now - self._since >= self.max_wait_s:
            self._done = self.timed_out = True
        else:
            self.held_back = True
        return not self._done


def hold_resumes(consumer: Any, held: Callable[[Any], bool]) -> None:
    """Make Faust's ``consumer`` leave the partitions ``held(tp)`` says are held paused when
    it resumes partitions (idempotent: the first ``held`` stays)."""
    if getattr(consumer, _HELD, False):
        return
    resume = consumer.resume_partitions

    def resume_partitions(tps: Iterable[Any]) -> None:
        resume({tp for tp in tps if not held(tp)})

    consumer.resume_partitions = resume_partitions
    setattr(consumer, _HELD, True)
