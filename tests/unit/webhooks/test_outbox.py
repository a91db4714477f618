"""Coalescing: a new alert goes at once, later updates at most once per window (latest version);
resolutions always go out."""

from __future__ import annotations

from webhook_builders import alert

from alerts.webhooks.outbox import (
    OutboxEntry,
    delivered,
    dropped,
    enqueue,
    failed,
    forgettable,
    settled,
)

WINDOW = 0.5


def _put(entry: OutboxEntry | None, version: int, status: str = "updated", now: float = 100.0):
    return enqueue(
        entry,
        alert(version, status),
        subscriber_id="sub-1",
        partition=2,
        now=now,
        window_s=WINDOW,
    )


def test_a_new_alert_goes_at_once_and_updates_replace_it_until_sent() -> None:
    entry = _put(None, 1, "open")
    assert entry is not None and entry.due_at == 100.0
    entry = _put(entry, 2, now=100.2)
    entry = _put(entry, 3, now=100.4)
    assert entry is not None
    assert entry.alert is not None and entry.alert.version == 3
    assert entry.due_at == 100.0
    assert entry.partition == 2


def test_updates_after_a_delivery_wait_for_the_window_and_coalesce() -> None:
    sent = delivered(_put(None, 1, "open"), 1, 100.1, WINDOW)  # type: ignore[arg-type]
    assert sent.alert is None and sent.settled_at == 100.1
    update = _put(sent, 2, now=100.2)
    assert update is not None and update.due_at == 100.1 + WINDOW
    update = _put(update, 3, now=100.3)
    assert update is not None and update.alert is not None and update.alert.version == 3
    assert update.due_at == 100.1 + WINDOW
    quiet = _put(sent, 2, now=200.0)  # long after the last delivery: at once
    assert quiet is not None and quiet.due_at == 200.0


def test_old_and_repeated_versions_change_nothing() -> None:
    entry = _put(None, 3)
    assert _put(entry, 3) is None
    assert _put(entry, 2) is None
    done = delivered(entry, 3, 101.0, WINDOW)  # type: ignore[arg-type]
    assert _put(done, 3) is None  # a replay after delivery is not sent again


def test_a_resolution_is_never_coalesced_away() -> None:
    entry = _put(None, 1, "open")
    entry = _put(entry, 2, "resolved")
    entry = _put(entry, 3, "updated")  # e.g. a late reading reopened it
    assert entry is not None
    assert entry.alert is not None and entry.alert.status == "resolved"
    assert entry.queued is not None and entry.queued.version == 3
    after = delivered(entry, 2, 101.0, WINDOW)
    assert after.alert is not None and after.alert.version == 3
    assert after.due_at == 101.0 + WINDOW
    assert after.queued is None


def test_a_newer_resolution_replaces_an_unsent_one() -> None:
    entry = _put(_put(None, 1, "resolved"), 2, "resolved")
    assert entry is not None and entry.alert is not None and entry.alert.version == 2


def test_a_version_arriving_during_an_attempt_goes_out_one_window_later() -> None:
    entry = _put(None, 1, "open")
    in_flight = _put(entry, 2, now=100.6)  # v1 was being sent
    after = delivered(in_flight, 1, 101.0, WINDOW)  # type: ignore[arg-type]
    assert after.alert is not None and after.alert.version == 2
    assert (after.done_version, after.due_at, after.attempt) == (1, 101.0 + WINDOW, 0)


def test_failures_count_and_postpone_then_settle_resets() -> None:
    entry = _put(None, 1)
    assert entry is not None
    once = failed(entry, 4.0, 101.0)
    twice = failed(once, 8.0, 105.0)
    assert (twice.attempt, twice.due_at) == (2, 113.0)
    given_up = settled(twice, 1, 113.0, WINDOW)
    assert given_up.alert is None and given_up.attempt == 0 and given_up.done_version == 1


def test_idle_entries_are_forgotten_after_the_memory_span_only() -> None:
    entry = _put(None, 1)
    assert entry is not None
    assert not forgettable(entry, 10_000.0, 60.0)  # still pending
    idle = delivered(entry, 1, 200.0, WINDOW)
    assert not forgettable(idle, 250.0, 60.0)
    assert forgettable(idle, 261.0, 60.0)


def test_dropping_gives_up_everything_pending() -> None:
    entry = _put(_put(None, 1, "resolved"), 2)
    gone = dropped(entry, 300.0)  # type: ignore[arg-type]
    assert gone.alert is None and gone.queued is None and gone.done_version == 2
