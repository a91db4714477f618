"""Coalescing per subscriber and alert: at most one delivery per window, latest version; resolutions always go out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.alert import Alert

__all__ = ["OutboxEntry", "delivered", "dropped", "enqueue", "failed", "forgettable", "settled"]


class OutboxEntry(BaseModel):
    """What one subscriber still has to receive of one alert (one row of the retry state).

    ``alert`` is the version waiting to go out (None when idle); ``queued`` a later version
    held behind an unsent resolution; ``attempt`` the failed attempts so far; ``due_at`` the
    epoch second the next attempt may start; ``done_version`` the latest version settled
    (delivered or given up), so replays of older versions are not sent again; ``settled_at``
    when that happened (it opens the next coalescing window)."""

    model_config = ConfigDict(frozen=True)

    subscriber_id: str
    alert_id: str
    shipment_id: str
    partition: int
    alert: Alert | None = None
    queued: Alert | None = None
    attempt: int = 0
    due_at: float = 0.0
    done_version: int = 0
    settled_at: float | None = None

    @property
    def newest_version(self) -> int:
        """The newest version this entry knows of."""
        versions = [self.done_version]
        versions += [a.version for a in (self.alert, self.queued) if a is not None]
        return max(versions)


def enqueue(
    entry: OutboxEntry | None,
    alert: Alert,
    *,
    subscriber_id: str,
    partition: int,
    now: float,
    window_s: float,
) -> OutboxEntry | None:
    """Add a new alert version; None when it changes nothing (an old or repeated version).

    A version of an alert the subscriber has nothing pending for goes out at once, unless
    the last one went out less than ``window_s`` ago: then it waits for the window to end,
    and updates arriving meanwhile replace it (one delivery, the latest version). A pending
    ``resolved`` version is never replaced by a non-resolved one: that queues behind it."""
    if entry is None:
        return OutboxEntry(
            subscriber_id=subscriber_id,
            alert_id=alert.alert_id,
            shipment_id=alert.shipment_id,
            partition=partition,
            alert=alert,
            due_at=now,
        )
    if alert.version <= entry.newest_version:
        return None
    if entry.alert is None:
        opens = now if entry.settled_at is None else max(now, entry.settled_at + window_s)
        return entry.model_copy(update={"alert": alert, "attempt": 0, "due_at": opens})
    if entry.alert.status == "resolved" and (
        entry.queued is not None or alert.status != "resolved"
    ):
        return entry.model_copy(update={"queued": alert})
    return entry.model_copy(update={"alert": alert})


def _next(entry: OutboxEntry, version: int, now: float, window_s: float) -> OutboxEntry:
    """After version ``version`` settled at ``now``: what is left (due when the window
    ends), or idle."""
    done = max(entry.done_version, version)
    common = {"done_version": done, "attempt": 0, "settled_at": now, "due_at": now + window_s}
    if entry.alert is not None and entry.alert.version > version:
        return entry.model_copy(update=common)
    if entry.queued is not None:
        return entry.model_copy(update={**common, "alert": entry.queued, "queued": None})
    return entry.model_copy(update={**common, "alert": None})


def delivered(entry: OutboxEntry, version: int, now: float, window_s: float) -> OutboxEntry:
    """Version ``version`` was accepted (a newer one that arrived meanwhile goes out next)."""
    return _next(entry, version, now, window_s)


def settled(entry: OutboxEntry, version: int, now: float, window_s: float) -> OutboxEntry:
    """Version ``version`` was given up (dead-lettered): like delivered, with a fresh count."""
    return _next(entry, version, now, window_s)


def dropped(entry: OutboxEntry, now: float) -> OutboxEntry:
    """Everything pending is given up at once (the endpoint is gone)."""
    return entry.model_copy(
        update={
            "alert": None,
            "queued": None,
            "done_version": entry.newest_version,
            "attempt": 0,
            "settled_at": now,
        }
    )


def failed(entry: OutboxEntry, delay_s: float, now: float) -> OutboxEntry:
    """One more failed attempt; the next one not before ``now + delay_s``. Attempts count per
    entry, so a newer version coalesced in during retries inherits the count (a dead
    endpoint is not hammered afresh by every update)."""
    return entry.model_copy(update={"attempt": entry.attempt + 1, "due_at": now + delay_s})


def forgettable(entry: OutboxEntry, now: float, remember_s: float) -> bool:
    """An idle entry whose last settlement is older than ``remember_s`` may be dropped."""
    return (
        entry.alert is None and entry.settled_at is not None and now - entry.settled_at > remember_s
    )
