"""Attempt records and alert acks wait until the broker acknowledged the outbox changelog."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import orjson
from webhook_builders import alert, subscriber

from alerts.webhooks.routing import ShipmentSites
from alerts.webhooks.signing import WebhookSecret
from alerts.webhooks.subscriptions import Subscriptions
from streams.delivery.records import DeliveryAttempt
from streams.delivery.sender import AttemptResult
from streams.delivery.service import DeliveryService, Publisher
from streams.delivery.store import ChangelogWrites, OutboxStore, SitesStore, outbox_key
from streams.delivery.testing import AnsweringSender, MemoryTable
from streams.settings import DeliverySettings
from streams.wire import encode


class Delivery:
    """A service over tables whose broker answers only on cue."""

    def __init__(self, **routing: Any) -> None:
        self.outbox, self.sites = MemoryTable(hold=True), MemoryTable(hold=True)
        self.published: list[DeliveryAttempt] = []
        self.acked: list[str] = []

        async def publish(records: list[DeliveryAttempt]) -> None:
            self.published.extend(records)

        async def ignore(_: Any) -> None:
            pass

        writes = ChangelogWrites()
        self.service = DeliveryService(
            DeliverySettings(coalesce_s=0.0),
            Subscriptions(subscribers=(subscriber(id="ops", **routing),)),
            {"ops": WebhookSecret.generate()},
            OutboxStore(self.outbox, writes=writes),
            SitesStore(self.sites, writes),
            Publisher(publish, ignore),
            owned=lambda: {0},
            ready=lambda: True,
            alerts_topic="alerts",
        )
        refusing = AnsweringSender(AttemptResult(503, "HTTP 503", 1.0))  # a retry stays pending
        self.service.lanes["ops"].sender = refusing  # type: ignore[assignment]  # a stub
        self.service._tick()  # the start-up resync (it writes everything pending at once)

    def ack_later(self, name: str) -> None:
        async def ack() -> None:
            self.acked.append(name)

        self.service.after_flush(ack)

    async def fail_once(self, alert_id: str) -> None:
        """Take in one alert and let its first attempt fail."""
        self.service.ingest_alert(encode(alert(1, alert_id=alert_id)), 0)
        self.service._tick()
        await asyncio.gather(*self.service._tasks)


async def _until_blocked(flush: Awaitable[None]) -> asyncio.Task[None]:
    """Start a flush and return once it waits for the broker."""
    task: asyncio.Task[None] = asyncio.ensure_future(flush)
    for _ in range(100):
        await asyncio.sleep(0)
    assert not task.done()
    return task


def _attempt_of(table: MemoryTable, key: bytes) -> int:
    values = [value for _, k, value in table.changelog if k == key]
    assert values and values[-1] is not None
    return int(orjson.loads(values[-1])["attempt"])


async def test_a_failed_attempt_is_seen_only_once_the_broker_acknowledged_it() -> None:
    d = Delivery()
    await d.fail_once("A:1")
    d.ack_later("A:1")
    flush = await _until_blocked(d.service.flush_and_publish())
    key = outbox_key("ops", "A:1")
    assert _attempt_of(d.outbox, key) == 1  # sent to the changelog...
    assert d.published == [] and d.acked == []  # ...but not acknowledged: nothing seen yet
    assert d.outbox.answer() == 1
    await flush
    assert [(r.attempt, r.outcome) for r in d.published] == [(1, "retrying")]
    assert d.acked == ["A:1"]


async def test_a_refused_changelog_record_is_sent_again_before_anything_is_seen() -> None:
    d = Delivery()
    await d.fail_once("A:1")
    d.ack_later("A:1")
    flush = await _until_blocked(d.service.flush_and_publish())
    d.outbox.answer(error=RuntimeError("broker refused"))
    await flush
    assert d.published == [] and d.acked == []
    sent = len(d.outbox.changelog)
    flush = await _until_blocked(d.service.flush_and_publish())
    assert len(d.outbox.changelog) == sent + 1  # the refused record, sent again
    assert _attempt_of(d.outbox, outbox_key("ops", "A:1")) == 1
    d.outbox.answer()
    await flush
    assert [(r.attempt, r.outcome) for r in d.published] == [(1, "retrying")]
    assert d.acked == ["A:1"]


async def test_an_alert_taken_in_while_a_flush_waits_is_not_acked_by_that_flush() -> None:
    d = Delivery(all_shipments=False, sites=["HOSP-1"])
    d.service.sites.put("SHP-T1", ShipmentSites("HUB-1", "HOSP-1"), 0)
    await d.fail_once("A:1")
    d.ack_later("A:1")
    flush = await _until_blocked(d.service.flush_and_publish())
    # meanwhile an alert of a shipment whose sites are unknown is parked (a write this
    # flush did not send), and its ack is registered
    d.service.ingest_alert(encode(alert(1, alert_id="B:1", shipment_id="SHP-B")), 0)
    assert d.service.store.parked("SHP-B") is not None
    d.ack_later("B:1")
    assert d.sites.answer() == 1  # the sites of SHP-T1
    assert d.outbox.answer() == 2  # A's retry, and B parked
    await flush
    assert d.acked == ["A:1"]  # B's park was sent after this flush began
    await d.service.flush_and_publish()  # nothing left unanswered
    assert d.acked == ["A:1", "B:1"]
