"""Per-endpoint queues: a due-time heap, a concurrency limit and an on/off switch per subscriber."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from alerts.webhooks.subscriptions import Subscriber
from streams.delivery.sender import WebhookSender

__all__ = ["Lane"]

_sequence = itertools.count()


@dataclass
class Lane:
    """One endpoint's queue: entries ordered by due time; a slow or dead endpoint only ever
    fills its own lane, so it never delays another subscriber."""

    subscriber: Subscriber
    sender: WebhookSender
    limit: int
    heap: list[tuple[float, int, bytes]] = field(default_factory=list)
    inflight: set[bytes] = field(default_factory=set)
    disabled: bool = False

    def push(self, due_at: float, key: bytes) -> None:
        heapq.heappush(self.heap, (due_at, next(_sequence), key))

    def has_capacity(self) -> bool:
        return not self.disabled and len(self.inflight) < self.limit

    def next_due(self) -> float | None:
        return self.heap[0][0] if self.heap and not self.disabled else None

    def pop_due(self, now: float) -> tuple[float, bytes] | None:
        """The earliest entry due at ``now``, if any."""
        if self.heap and self.heap[0][0] <= now:
            due, _, key = heapq.heappop(self.heap)
            return due, key
        return None

    def clear(self) -> None:
        self.heap.clear()
