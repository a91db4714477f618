"""The delivery service: routes alerts into the outbox and works every lane's due deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError

from alerts.webhooks import outbox
from alerts.webhooks.messages import webhook_body, webhook_id
from alerts.webhooks.retry import RetryPolicy, decide, parse_retry_after
from alerts.webhooks.routing import Router, ShipmentSites
from alerts.webhooks.signing import WebhookSecret
from alerts.webhooks.subscriptions import Subscriptions
from schemas.alert import Alert
from schemas.deadletter import DeadLetter, FieldError
from schemas.decode import Decoded, decode
from schemas.manifest import ShipmentManifest
from sinks.deliveries import DeliveryOutcome
from streams.delivery.lanes import Lane
from streams.delivery.records import DeliveryAttempt
from streams.delivery.sender import AttemptResult, make_sender
from streams.delivery.store import OutboxStore, SitesStore, outbox_key
from streams.settings import DeliverySettings

__all__ = ["DeliveryService", "Publisher"]

log = structlog.get_logger(__name__)

MAX_PARKED_PER_SHIPMENT = 200
HOUSEKEEPING_S = 5.0
FLUSH_S = 0.2
"""How often changed outbox entries reach the changelog (alerts are acked after that)."""
DEFER_S = 1.0
"""A new outbox entry is written only once it waited this long for its first attempt (most
are delivered sooner and never written); the alerts behind it are acked only then."""
UNDELIVERABLE = "webhook_undeliverable"
_OUTCOMES: dict[str, DeliveryOutcome] = {
    "delivered": "delivered",
    "retry": "retrying",
    "dead_letter": "dead_lettered",
    "gone": "failed",
}
"""The attempt record's outcome of each retry verdict."""


@dataclass(frozen=True)
class Publisher:
    """Where attempt records and dead letters go (Kafka topics in the worker). Attempt
    records are published in batches, one per partition and flush."""

    attempts: Callable[[list[DeliveryAttempt]], Awaitable[None]]
    dead_letter: Callable[[DeadLetter], Awaitable[None]]


class DeliveryService:
    """Alerts in (:meth:`ingest_alert`), manifests in (:meth:`ingest_manifest`), deliveries
    out (:meth:`run`). State lives in :class:`OutboxStore`; nothing here blocks detection:
    the processor only ever waits on Kafka, and each endpoint only on its own lane."""

    def __init__(
        self,
        settings: DeliverySettings,
        subscriptions: Subscriptions,
        secrets: Mapping[str, WebhookSecret],
        store: OutboxStore,
        sites: SitesStore,
        publisher: Publisher,
        *,
        owned: Callable[[], set[int]],
        ready: Callable[[], bool],
        alerts_topic: str,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.subscribers = subscriptions.subscribers
        self.router = Router(subscriptions.subscribers)
        self.store = store
        self.sites = sites
        self.publisher = publisher
        self.policy = RetryPolicy(
            max_attempts=settings.max_attempts,
            base_s=settings.backoff_base_s,
            max_s=settings.backoff_max_s,
            max_retry_after_s=settings.retry_after_max_s,
        )
        self.lanes = {
            s.id: Lane(
                subscriber=s,
                sender=make_sender(
                    settings.http_client,
                    s.url,
                    secrets[s.id],
                    timeout_s=s.timeout_s or settings.timeout_s,
                    concurrency=s.concurrency or settings.concurrency,
                    clock=clock,
                ),
                limit=s.concurrency or settings.concurrency,
            )
            for s in subscriptions.subscribers
        }
        self._owned_probe = owned
        self._ready = ready
        self._alerts_topic = alerts_topic
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not cryptography)
        self._owned: set[int] | None = None
        self._generation = 0
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_housekeeping = 0.0
        self._after_flush: deque[tuple[int, Callable[[], Awaitable[None]]]] = deque()
        self._records: dict[int, list[DeliveryAttempt]] = {}
        self._idle: deque[tuple[float, bytes]] = deque()  # (settled_at, key), oldest first
        self._stopping = False
        self._flushing = asyncio.Lock()

    # ---- intake (called from the agent, on the event loop, never awaits) ----

    def ingest_manifest(self, raw: bytes, partition: int) -> None:
        """Remember a shipment's sites; alerts parked for them are routed now."""
        outcome = decode("shipments", raw, received_at=datetime.now(tz=UTC))
        if not isinstance(outcome, Decoded):
            return
        for event in outcome.events:
            if not isinstance(event, ShipmentManifest):
                continue
            sites = ShipmentSites(event.origin.site_id, event.destination.site_id)
            self.sites.put(event.shipment_id, sites, partition)
            parked = self.store.parked(event.shipment_id)
            if parked is not None:
                self.store.unpark(event.shipment_id, parked["partition"])
                for value in parked["alerts"]:
                    self._route(Alert.model_validate(value), parked["partition"], sites)
        self._wake.set()

    def ingest_alert(self, raw: bytes, partition: int) -> None:
        """Route one alert version to its subscribers' outbox entries."""
        try:
            alert = Alert.model_validate_json(raw)
        except ValidationError as exc:
            log.error("webhooks.bad_alert", partition=partition, error=str(exc)[:300])
            return
        sites = self.sites.get(alert.shipment_id)
        if self._route(alert, partition, sites):
            self._park(alert, partition)
        self._wake.set()

    def _route(self, alert: Alert, partition: int, sites: ShipmentSites | None) -> bool:
        """Enqueue for every matching subscriber; True when site routing awaits a manifest."""
        decided = self.router.route(alert, sites)
        now = self._clock()
        for subscriber in decided.subscribers:
            lane = self.lanes.get(subscriber.id)
            if lane is None or lane.disabled:  # stopped, or the endpoint is gone
                continue
            key = outbox_key(subscriber.id, alert.alert_id)
            before = self.store.get(key)
            entry = outbox.enqueue(
                before,
                alert,
                subscriber_id=subscriber.id,
                partition=partition,
                now=now,
                window_s=self.settings.coalesce_s,
            )
            if entry is None:
                continue
            self.store.put(key, entry)
            if before is None or before.alert is None or before.due_at != entry.due_at:
                lane.push(entry.due_at, key)
        return decided.awaiting_sites

    def _park(self, alert: Alert, partition: int) -> None:
        parked = self.store.parked(alert.shipment_id) or {
            "partition": partition,
            "since": self._clock(),
            "alerts": [],
        }
        alerts = [*parked["alerts"], alert.model_dump(mode="json")]
        if len(alerts) > MAX_PARKED_PER_SHIPMENT:
            log.warning("webhooks.parked_overflow", shipment_id=alert.shipment_id)
            alerts = alerts[-MAX_PARKED_PER_SHIPMENT:]
        self.store.park(alert.shipment_id, {**parked, "alerts": alerts})

    # ---- dispatch ----

    async def run(self) -> None:
        """Work the lanes and flush the outbox until :meth:`stop`."""
        flusher = asyncio.create_task(self._flush_loop())
        try:
            while not self._stopping:
                delay = self._tick()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            flusher.cancel()
            await self.stop()

    def after_flush(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` once every outbox change made so far is on the changelog or moot
        (delivered before it was written); the agent acknowledges the alerts' offsets there,
        without ever waiting for it."""
        self._after_flush.append((self.store.changes, callback))

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            await self.flush_and_publish()

    async def flush_and_publish(self) -> None:
        """One flush, then the attempt records it made durable."""
        # Take the records first: every one of them has its outbox change already put, so
        # the flush below makes it durable before anyone can see the record.
        records, self._records = self._records, {}
        try:
            durable = await self.flush()
        except asyncio.CancelledError:  # stopping: stop() publishes them after its flush
            self._put_back(records)
            raise
        if durable:
            await self._publish_records(records)
        else:  # published after a later flush
            self._put_back(records)

    def _put_back(self, records: dict[int, list[DeliveryAttempt]]) -> None:
        for partition, batch in records.items():
            self._records[partition] = batch + self._records.get(partition, [])

    async def flush(self, *, defer: bool = True) -> bool:
        """Changed outbox entries to the changelog (new ones waiting for less than
        ``DEFER_S`` may wait for the next flush), acknowledged by the broker, then the
        callbacks whose changes are all written or moot. False when a record failed."""
        async with self._flushing:  # the flush loop's and stop()'s
            self.store.flush(DEFER_S if defer else 0.0)
            covered = len(self._after_flush)  # those registered later may have unsent writes
            failed = await self.store.writes.acknowledged()
            if failed:  # sent again by the next flush; nothing it covers is acked before
                log.error("webhooks.changelog_failed", records=failed)
                return False
            unwritten = self.store.unwritten_since()
            while (
                covered
                and self._after_flush
                and (unwritten is None or self._after_flush[0][0] < unwritten)
            ):
                _, callback = self._after_flush.popleft()
                covered -= 1
                await callback()
            return True

    async def _publish_records(
        self, records: dict[int, list[DeliveryAttempt]] | None = None
    ) -> None:
        if records is None:
            records, self._records = self._records, {}
        for batch in records.values():
            try:
                await self.publisher.attempts(batch)
            except Exception:  # e.g. the producer stopping under us at shutdown
                log.exception("webhooks.publish_failed", records=len(batch))

    async def stop(self) -> None:
        """Stop sending (attempts in flight are abandoned: their entries stay pending and
        are retried by the next owner), write what changed, close the HTTP clients."""
        if self._stopping and not self.lanes:
            return
        self._stopping = True
        self._wake.set()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if await self.flush(defer=False):
            await self._publish_records()
        else:  # the next owner repeats these attempts, under the same numbers
            log.error("webhooks.records_dropped", records=sum(map(len, self._records.values())))
        lanes, self.lanes = self.lanes, {}
        for lane in lanes.values():
            await lane.sender.aclose()

    def _tick(self) -> float:
        """Start every due delivery a lane has room for; returns how long to sleep."""
        if not self._ready():
            return 0.2
        owned = self._owned_probe()
        if owned != self._owned:
            self._resync(owned)
        now = self._clock()
        if now - self._last_housekeeping > HOUSEKEEPING_S:
            self._housekeeping(now)
        wait = 1.0
        for lane in self.lanes.values():
            while lane.has_capacity():
                popped = lane.pop_due(now)
                if popped is None:
                    break
                due, key = popped
                entry = self.store.get(key)
                if (
                    entry is None
                    or entry.alert is None
                    or entry.due_at != due
                    or key in lane.inflight
                ):
                    continue
                lane.inflight.add(key)
                task = asyncio.create_task(self._attempt(lane, key, entry))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            next_due = lane.next_due() if lane.has_capacity() else None
            if next_due is not None:
                wait = min(wait, max(0.0, next_due - now))
        return wait

    async def revoked(self) -> None:
        """Partitions are being taken away (Faust's ``on_partitions_revoked``): every change,
        new entries included, to the changelog now, acknowledged, so their next owner's
        recovery reads it (written later, it would land after that recovery: unseen by the
        new owner, yet recovered by its next restart)."""
        await self.flush(defer=False)

    def recovered(self) -> None:
        """The tables hold the recovered state of the current assignment, and the streams
        are about to resume (Faust's ``on_rebalance_complete``): the outbox of newly owned
        partitions is rebuilt now, before any of their alerts is taken in. Taken in first,
        a re-read alert would start a fresh entry over the recovered one (attempt counts
        restarting), and the next flush would write that over the changelog."""
        owned = self._owned_probe()
        if owned != self._owned:
            self._resync(owned)

    def _resync(self, owned: set[int]) -> None:
        """After start-up or a rebalance: the entries of the owned partitions, re-queued."""
        self._owned = owned
        self._generation += 1
        self.store.flush()
        self.store.reload(owned)
        for lane in self.lanes.values():
            lane.clear()
            marker = self.store.gone(lane.subscriber.id)
            lane.disabled = marker is not None and marker.get("url_sha256") == _url_hash(
                lane.subscriber.url
            )
        for key, entry in self.store.entries():
            owner = self.lanes.get(entry.subscriber_id)
            if owner is None:  # a subscriber removed from the file: nothing left to do
                self.store.delete(key)
            elif entry.alert is not None and key not in owner.inflight:
                owner.push(entry.due_at, key)
        # idle entries (of removed subscribers too) are forgotten after remember_s
        idle = [(at, key) for key, at in self.store.idle_keys() if at is not None]
        self._idle = deque(sorted(idle))
        log.info("webhooks.resync", partitions=sorted(owned), generation=self._generation)

    def _housekeeping(self, now: float) -> None:
        """Forget idle entries older than ``remember_s`` (oldest first: only those are
        looked at) and give up waiting for manifests after ``manifest_wait_s``."""
        self._last_housekeeping = now
        remember_s = self.settings.remember_s
        while self._idle and now - self._idle[0][0] > remember_s:
            _, key = self._idle.popleft()
            settled_at = self.store.idle_since(key)  # settled again since, or busy: kept
            if settled_at is not None and now - settled_at > remember_s:
                self.store.delete(key)
        owned = self._owned or set()
        for shipment_id, parked in list(self.store.all_parked()):
            if parked["partition"] not in owned:
                continue
            if now - parked["since"] > self.settings.manifest_wait_s:
                self.store.unpark(shipment_id, parked["partition"])
                log.warning(
                    "webhooks.sites_unknown",
                    shipment_id=shipment_id,
                    alerts=len(parked["alerts"]),
                    waited_s=self.settings.manifest_wait_s,
                )

    async def _attempt(self, lane: Lane, key: bytes, entry: outbox.OutboxEntry) -> None:
        generation = self._generation
        alert = entry.alert
        assert alert is not None
        subscriber_id = lane.subscriber.id
        msg_id = webhook_id(subscriber_id, alert)
        attempt = entry.attempt + 1
        started = self._clock()
        try:
            result = await lane.sender.send(msg_id, webhook_body(alert))
        except asyncio.CancelledError:
            lane.inflight.discard(key)
            raise
        except Exception as exc:  # a bug, not the endpoint: count it as a failed attempt
            log.exception("webhooks.send_crashed", subscriber_id=subscriber_id)
            result = AttemptResult(None, f"internal: {type(exc).__name__}", 0.0)
        finally:
            lane.inflight.discard(key)
        now = self._clock()
        retry_after = None
        if result.retry_after is not None:
            retry_after = parse_retry_after(result.retry_after, datetime.fromtimestamp(now, tz=UTC))
        decision = decide(self.policy, attempt, result.status, retry_after, self._rng.random())
        outcome = _OUTCOMES[decision.verdict]
        record = DeliveryAttempt(
            delivery_id=msg_id,
            attempt=attempt,
            subscriber_id=subscriber_id,
            alert_id=alert.alert_id,
            alert_version=alert.version,
            shipment_id=alert.shipment_id,
            outcome=outcome,
            attempted_at=datetime.fromtimestamp(started, tz=UTC),
            http_status=result.status,
            error=result.error,
            duration_ms=result.duration_ms,
        )
        if outcome not in ("delivered", "retrying"):  # every attempt is in the records
            log.warning(
                "webhooks.attempt",
                subscriber_id=subscriber_id,
                webhook_id=msg_id,
                attempt=attempt,
                outcome=outcome,
                status=result.status,
                error=result.error,
            )
        self._records.setdefault(entry.partition, []).append(record)
        if generation == self._generation:
            current = self.store.get(key)
            if current is not None:
                self._settle(lane, key, current, alert.version, decision, now)
        try:
            if decision.verdict in ("dead_letter", "gone"):
                await self._dead_letter(alert, subscriber_id, attempt, result.error)
            if decision.verdict == "gone":
                await self._disable(lane)
        except Exception:  # e.g. the producer stopping under us at shutdown
            log.exception("webhooks.publish_failed", subscriber_id=subscriber_id)
        self._wake.set()

    def _settle(
        self,
        lane: Lane,
        key: bytes,
        current: outbox.OutboxEntry,
        version: int,
        decision: Any,
        now: float,
    ) -> None:
        if decision.verdict == "delivered":
            after = outbox.delivered(current, version, now, self.settings.coalesce_s)
        elif decision.verdict == "retry":
            after = outbox.failed(current, decision.delay_s, now)
        else:
            after = outbox.settled(current, version, now, self.settings.coalesce_s)
        self._put_settled(key, after)
        if after.alert is not None and not lane.disabled:
            lane.push(after.due_at, key)

    def _put_settled(self, key: bytes, entry: outbox.OutboxEntry) -> None:
        self.store.put(key, entry)
        if entry.alert is None and entry.settled_at is not None:
            self._idle.append((entry.settled_at, key))

    async def _disable(self, lane: Lane) -> None:
        """HTTP 410: the endpoint is gone; stop sending and dead-letter what it still had."""
        lane.disabled = True
        lane.clear()
        subscriber_id = lane.subscriber.id
        self.store.mark_gone(
            subscriber_id,
            {"url_sha256": _url_hash(lane.subscriber.url), "at": self._clock()},
            self._owned or set(),
        )
        log.warning("webhooks.endpoint_gone", subscriber_id=subscriber_id)
        for key, entry in self.store.entries():
            if entry.subscriber_id != subscriber_id or entry.alert is None:
                continue
            if key in lane.inflight:  # its own answer settles it
                continue
            now = self._clock()
            for pending in (entry.alert, entry.queued):
                if pending is None:
                    continue
                await self._dead_letter(
                    pending, subscriber_id, entry.attempt, "endpoint disabled after HTTP 410"
                )
            self._put_settled(key, outbox.dropped(entry, now))

    async def _dead_letter(
        self, alert: Alert, subscriber_id: str, attempts: int, error: str | None
    ) -> None:
        await self.publisher.dead_letter(
            DeadLetter(
                reason=UNDELIVERABLE,
                errors=[
                    FieldError(
                        loc=f"subscriber.{subscriber_id}",
                        msg=f"not delivered after {attempts} attempt(s): {error or 'unknown'}",
                        type=UNDELIVERABLE,
                    )
                ],
                source_topic=self._alerts_topic,
                key=alert.shipment_id,
                raw=webhook_body(alert).decode("utf-8"),
                received_at=datetime.fromtimestamp(self._clock(), tz=UTC),
            )
        )


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()
