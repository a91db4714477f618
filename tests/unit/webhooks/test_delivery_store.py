"""The stores: new outbox entries wait defer_s before they are written; sites decode from a cache."""

from __future__ import annotations

from typing import Any

from webhook_builders import alert

from alerts.webhooks.outbox import OutboxEntry
from alerts.webhooks.routing import ShipmentSites
from streams.delivery.store import OutboxStore, SitesStore, outbox_key
from streams.delivery.testing import ManualClock, MemoryTable


async def test_changed_or_recovered_sites_are_seen_through_the_cache() -> None:
    table = MemoryTable()
    sites = SitesStore(table)
    assert sites.get("SHP-1") is None
    assert sites.put("SHP-1", ShipmentSites("HUB", "HOSP-A"), 0)
    assert sites.get("SHP-1") == ShipmentSites("HUB", "HOSP-A")
    assert not sites.put("SHP-1", ShipmentSites("HUB", "HOSP-A"), 0)  # unchanged: no write
    assert sites.put("SHP-1", ShipmentSites("HUB", "HOSP-B"), 0)
    assert sites.get("SHP-1") == ShipmentSites("HUB", "HOSP-B")
    table.data[b"SHP-1"] = b'{"origin":"HUB","destination":"HOSP-C"}'  # a changelog recovery
    assert sites.get("SHP-1") == ShipmentSites("HUB", "HOSP-C")
    assert len(table.changelog) == 2


def _entry(alert_id: str, **fields: Any) -> OutboxEntry:
    return OutboxEntry(
        subscriber_id="ops", alert_id=alert_id, shipment_id="SHP-T1", partition=3, **fields
    )


async def test_a_new_entry_waits_defer_s_before_it_is_written_and_blocks_acks_meanwhile() -> None:
    clock, table = ManualClock(1000.0), MemoryTable()
    store = OutboxStore(table, clock=clock)
    key = outbox_key("ops", "A:1")
    store.put(key, _entry("A:1", alert=alert(1), due_at=clock.now))
    first_change = store.changes
    assert store.flush(defer_s=1.0) == 0
    assert store.unwritten_since() == first_change
    clock.now += 0.5
    store.put(key, _entry("A:1", alert=alert(2), due_at=clock.now))  # still the first change
    assert store.flush(defer_s=1.0) == 0
    assert store.unwritten_since() == first_change
    clock.now += 0.6
    assert store.flush(defer_s=1.0) == 1
    assert store.unwritten_since() is None
    ((partition, written_key, value),) = table.changelog
    assert (partition, written_key) == (3, key)
    assert value is not None and OutboxEntry.model_validate_json(value).alert == alert(2)


async def test_an_entry_delivered_before_defer_s_is_never_written() -> None:
    clock, table = ManualClock(1000.0), MemoryTable()
    store = OutboxStore(table, clock=clock)
    key = outbox_key("ops", "A:1")
    store.put(key, _entry("A:1", alert=alert(1), due_at=clock.now))
    store.flush(defer_s=1.0)
    clock.now += 0.3
    store.put(key, _entry("A:1", done_version=1, settled_at=clock.now))
    assert store.flush(defer_s=1.0) == 0
    assert store.unwritten_since() is None
    assert table.changelog == []


async def test_failed_attempts_and_written_entries_are_written_at_once() -> None:
    clock, table = ManualClock(1000.0), MemoryTable()
    store = OutboxStore(table, clock=clock)
    retrying, known = outbox_key("ops", "A:1"), outbox_key("ops", "B:1")
    store.put(retrying, _entry("A:1", alert=alert(1), attempt=1, due_at=clock.now + 1))
    store.put(known, _entry("B:1", alert=alert(1), due_at=clock.now))
    assert store.flush() == 2  # no deferral asked: both written
    store.put(known, _entry("B:1", alert=alert(2), due_at=clock.now))  # already on the log
    assert store.flush(defer_s=1.0) == 1
    assert [key for _, key, _ in table.changelog] == [retrying, known, known]
    assert store.unwritten_since() is None


async def test_idle_entries_are_kept_compact_and_read_back_exactly() -> None:
    clock, table = ManualClock(1000.0), MemoryTable()
    store = OutboxStore(table, clock=clock)
    key = outbox_key("ops", "SHP-T1:lid_open:1")
    idle = _entry("SHP-T1:lid_open:1", done_version=3, settled_at=clock.now, due_at=clock.now)
    store.put(key, idle)
    assert store.get(key) == idle
    assert store.idle_since(key) == clock.now
    assert list(store.entries()) == []  # nothing pending
    assert list(store.idle_keys()) == [(key, clock.now)]
    pending = idle.model_copy(update={"alert": alert(4)})
    store.put(key, pending)  # a new version: pending again
    assert store.get(key) == pending and store.idle_since(key) is None
    assert list(store.entries()) == [(key, pending)]


async def test_a_written_entry_turned_idle_is_written_idle_then_deleted_by_a_tombstone() -> None:
    clock, table = ManualClock(1000.0), MemoryTable()
    store = OutboxStore(table, clock=clock)
    key = outbox_key("ops", "A:1")
    store.put(key, _entry("A:1", alert=alert(1), attempt=1, due_at=clock.now + 1))
    store.flush()
    idle = _entry("A:1", done_version=1, settled_at=clock.now, due_at=clock.now)
    store.put(key, idle)
    store.flush(defer_s=1.0)
    store.delete(key)
    store.flush()
    values = [value for _, _, value in table.changelog]
    assert len(values) == 3 and values[2] is None
    assert values[1] is not None and OutboxEntry.model_validate_json(values[1]) == idle
    assert store.get(key) is None
