"""A worker taking over partitions rebuilds their outbox before it takes in their alerts."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
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

KEY = outbox_key("ops", "A:1")
RETRY_AFTER_S = 8.0


class Worker:
    """One delivery worker's service over a table shared with the previous owner (what a
    changelog recovery leaves in it)."""

    def __init__(self, table: MemoryTable, clock: ManualClock, owned: set[int]) -> None:
        self.owned = owned
        self.records: list[DeliveryAttempt] = []

        async def publish(records: list[DeliveryAttempt]) -> None:
            self.records.extend(records)

        async def ignore(_: Any) -> None:
            pass

        self.service = DeliveryService(
            DeliverySettings(coalesce_s=0.0),
            Subscriptions(subscribers=(subscriber(id="ops"),)),
            {"ops": WebhookSecret.generate()},
            OutboxStore(table, clock=clock),
            SitesStore(MemoryTable()),
            Publisher(publish, ignore),
            owned=lambda: self.owned,
            ready=lambda: True,
            alerts_topic="alerts",
            clock=clock,
        )
        refusing = AnsweringSender(
            AttemptResult(503, "HTTP 503", 1.0, retry_after=str(int(RETRY_AFTER_S)))
        )
        self.service.lanes["ops"].sender = refusing  # type: ignore[assignment]  # a stub

    async def take_in_and_work(self) -> None:
        """The alert (read again: its offset was never committed), then due attempts."""
        self.service.ingest_alert(encode(alert(1, alert_id="A:1")), 3)
        await self.work()

    async def work(self) -> None:
        self.service._tick()
        await asyncio.gather(*self.service._tasks)
        await self.service.flush_and_publish()


def _stored_attempt(table: MemoryTable) -> int:
    return int(orjson.loads(table.data[KEY])["attempt"])


async def test_a_taken_over_retry_keeps_its_attempt_count_when_its_alert_is_read_again() -> None:
    table, clock = MemoryTable(), ManualClock()
    first = Worker(table, clock, owned={3})
    first.service._tick()  # its start-up resync
    await first.take_in_and_work()
    assert [(r.attempt, r.outcome) for r in first.records] == [(1, "retrying")]
    assert _stored_attempt(table) == 1

    second = Worker(table, clock, owned={3})
    second.service.recovered()  # Faust: tables recovered, streams about to resume
    await second.take_in_and_work()
    assert second.records == []  # the retry is not due yet: Retry-After is kept
    assert _stored_attempt(table) == 1  # the recovered entry was not written over
    clock.now += RETRY_AFTER_S + 1
    await second.work()
    assert [(r.attempt, r.outcome) for r in second.records] == [(2, "retrying")]


async def test_recovered_rebuilds_the_outbox_only_when_the_assignment_changed() -> None:
    table, clock = MemoryTable(), ManualClock()
    worker = Worker(table, clock, owned={3})
    worker.service.recovered()
    await worker.take_in_and_work()
    before = worker.service._generation
    worker.service.recovered()  # a rebalance that left this worker its partitions
    assert worker.service._generation == before
    worker.owned = {2, 3}
    worker.service.recovered()
    assert worker.service._generation == before + 1
    entry = worker.service.store.get(KEY)
    assert entry is not None and entry.attempt == 1  # the entry survived the rebuild


async def test_revoked_writes_even_a_new_entry_and_returns_once_the_broker_has_it() -> None:
    table, clock = MemoryTable(hold=True), ManualClock()
    worker = Worker(table, clock, owned={3})
    worker.service.recovered()
    worker.service.ingest_alert(encode(alert(1, alert_id="A:1")), 3)  # new: deferred by flushes
    await worker.service.flush_and_publish()
    assert table.changelog == []
    revoking = asyncio.ensure_future(worker.service.revoked())
    for _ in range(100):
        await asyncio.sleep(0)
    assert not revoking.done()  # waiting for the broker
    assert [key for _, key, _ in table.changelog] == [KEY]
    table.answer()
    await revoking
