"""Housekeeping forgets settled outbox entries after remember_s, oldest first, and only those."""

from __future__ import annotations

import asyncio
from typing import Any

from webhook_builders import alert, subscriber

from alerts.webhooks.signing import WebhookSecret
from alerts.webhooks.subscriptions import Subscriptions
from streams.delivery.records import DeliveryAttempt
from streams.delivery.sender import AttemptResult
from streams.delivery.service import DeliveryService, Publisher
from streams.delivery.store import OutboxStore, SitesStore, outbox_key
from streams.delivery.testing import AnsweringSender, ManualClock, MemoryTable
from streams.settings import DeliverySettings
from streams.wire import encode


def _service(clock: ManualClock) -> DeliveryService:
    async def ignore(_: Any) -> None:
        pass

    service = DeliveryService(
        DeliverySettings(remember_s=100.0, coalesce_s=0.0),
        Subscriptions(subscribers=(subscriber(id="ops"),)),
        {"ops": WebhookSecret.generate()},
        OutboxStore(MemoryTable(), clock=clock),
        SitesStore(MemoryTable()),
        Publisher(ignore, ignore),
        owned=lambda: {0},
        ready=lambda: True,
        alerts_topic="alerts",
        clock=clock,
    )
    service.lanes["ops"].sender = AnsweringSender(AttemptResult(200, None, 1.0))  # type: ignore[assignment]  # a stub
    return service


async def _deliver(service: DeliveryService, alert_id: str, version: int) -> None:
    raw = encode(alert(version, alert_id=alert_id))
    service.ingest_alert(raw, 0)
    service._tick()
    await asyncio.gather(*service._tasks)


async def test_settled_entries_are_forgotten_after_remember_s_and_not_before() -> None:
    clock = ManualClock()
    service = _service(clock)
    await _deliver(service, "A:1", 1)
    clock.now += 60
    await _deliver(service, "B:1", 1)
    old, young = outbox_key("ops", "A:1"), outbox_key("ops", "B:1")
    assert service.store.get(old) is not None and service.store.get(young) is not None

    clock.now += 50  # A settled 110 s ago, B 50 s ago
    service._housekeeping(clock.now)
    assert service.store.get(old) is None
    assert service.store.get(young) is not None

    clock.now += 51
    service._housekeeping(clock.now)
    assert service.store.get(young) is None


async def test_an_entry_settled_again_is_kept_for_remember_s_from_its_last_settlement() -> None:
    clock = ManualClock()
    service = _service(clock)
    await _deliver(service, "A:1", 1)
    clock.now += 90
    await _deliver(service, "A:1", 2)  # the same entry settles again
    clock.now += 20  # 110 s after the first settlement, 20 s after the second
    service._housekeeping(clock.now)
    entry = service.store.get(outbox_key("ops", "A:1"))
    assert entry is not None and entry.done_version == 2
    clock.now += 81
    service._housekeeping(clock.now)
    assert service.store.get(outbox_key("ops", "A:1")) is None


async def test_a_replayed_version_within_remember_s_is_not_sent_again() -> None:
    clock = ManualClock()
    service = _service(clock)
    sender = service.lanes["ops"].sender
    assert isinstance(sender, AnsweringSender)
    await _deliver(service, "A:1", 1)
    clock.now += 50
    await _deliver(service, "A:1", 1)  # a replay within remember_s: ignored
    assert len(sender.sent) == 1
    records: list[DeliveryAttempt] = [r for batch in service._records.values() for r in batch]
    assert [r.outcome for r in records] == ["delivered"]
