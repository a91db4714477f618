"""PendingIndex: the ids and newest time of a state's held events, so holding one more is O(1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PendingIndex"]

PendingEvent = list[Any]
"""``[topic, event_time_s, event_id, event_json]`` of an event held until the manifest."""


@dataclass(slots=True)
class PendingIndex:
    """What ``alerts.engine`` asks of the pending list at every held event, kept up to date.

    Runtime only (rebuilt from the list when needed, never stored). It describes the list
    object ``items`` while that holds ``size`` events: the engine only appends to the list
    through ``add`` or replaces it (expiry, the manifest, a restored state), so another list
    or another length means the index is stale and ``of`` rebuilds it.
    """

    items: list[PendingEvent] | None = None
    size: int = 0
    ids: set[str] = field(default_factory=set)
    newest: float = float("-inf")
    oldest: float = float("inf")

    def of(self, pending: list[PendingEvent]) -> PendingIndex:
        """This index, brought up to date with ``pending`` if it describes another list."""
        if self.items is not pending or self.size != len(pending):
            self.items, self.size = pending, len(pending)
            self.ids = {item[2] for item in pending}
            times = [item[1] for item in pending]
            self.newest = max(times, default=float("-inf"))
            self.oldest = min(times, default=float("inf"))
        return self

    def add(self, item: PendingEvent) -> None:
        """Append ``item`` to the indexed list."""
        assert self.items is not None
        self.items.append(item)
        self.size += 1
        self.ids.add(item[2])
        self.newest = max(self.newest, item[1])
        self.oldest = min(self.oldest, item[1])
