"""The delivery agent: its own consumer of alerts and manifests, and the task working the lanes."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import faust
import structlog

from alerts.webhooks.subscriptions import load_subscriptions, resolve_secrets
from schemas.deadletter import DeadLetter
from schemas.errors import ConfigError
from streams.app import Channels
from streams.continuity import OffsetGuard, admit_in_order
from streams.delivery.records import DeliveryAttempt, encode_attempts
from streams.delivery.service import DeliveryService, Publisher
from streams.delivery.store import ChangelogWrites, OutboxStore, SitesStore
from streams.raw_schema import RawBytes
from streams.settings import Settings
from streams.topics import Topic, topic_name
from streams.wire import encode, shipment_key

__all__ = ["OUTBOX_TABLE", "SITES_TABLE", "register_delivery"]

log = structlog.get_logger(__name__)

OUTBOX_TABLE = "webhook-outbox"
SITES_TABLE = "webhook-sites"


def register_delivery(
    app: faust.App,
    channels: Channels,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
) -> DeliveryService:
    """Declare the delivery tables, agent and dispatcher. Fails at start-up with a
    ``ConfigError`` when the subscriptions file or a secret is missing or malformed."""
    path = settings.delivery.subscriptions
    if path is None:
        raise ConfigError("webhook delivery needs CRYOTRACE_SUBSCRIPTIONS (a YAML or JSON file)")
    subscriptions = load_subscriptions(path)
    # httpx logs every request URL at INFO; an endpoint URL may carry a token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # aiokafka logs every produce at DEBUG; with the root logger at NOTSET each one becomes a
    # record before a handler drops it (a tenth of the delivery worker's CPU at 1,000/s)
    logging.getLogger("aiokafka").setLevel(logging.INFO)
    secrets = resolve_secrets(subscriptions, os.environ if environ is None else environ)

    def table(name: str) -> Any:
        return app.Table(
            name,
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topics.partitions,
        )

    alerts_name = topic_name(settings, Topic.ALERTS)
    shipments_name = topic_name(settings, Topic.SHIPMENTS)

    async def publish_attempts(records: list[DeliveryAttempt]) -> None:
        """One message per partition and flush; keyed by a shipment of that partition.

        Called only once the outbox changelog written by the same flush is acknowledged:
        an attempt anyone can see is one a restarted worker remembers (attempt numbers
        never restart)."""
        await channels.deliveries.send(
            key=shipment_key(records[0].shipment_id), value=encode_attempts(records)
        )

    async def publish_dead_letter(letter: DeadLetter) -> None:
        await channels.deadletter.send(key=shipment_key(letter.key), value=encode(letter))

    def owned() -> set[int]:
        actives = app.assignor.assigned_actives()
        return {tp.partition for tp in actives if tp.topic == alerts_name}

    def ready() -> bool:
        return not (app.rebalancing or getattr(app, "in_recovery", False))

    writes = ChangelogWrites()  # both tables': an alert is acked once both are durable
    service = DeliveryService(
        settings.delivery,
        subscriptions,
        secrets,
        OutboxStore(table(OUTBOX_TABLE), writes=writes),
        SitesStore(table(SITES_TABLE), writes),
        Publisher(publish_attempts, publish_dead_letter),
        owned=owned,
        ready=ready,
        alerts_topic=alerts_name,
    )
    source = app.topic(shipments_name, alerts_name, schema=RawBytes())

    @app.agent(source, name="deliver")
    async def deliver(stream: faust.StreamT[bytes]) -> None:
        """Alerts become outbox entries, acked once those are on the changelog (the next
        flush); the HTTP work happens in the dispatcher: consuming never waits on an
        endpoint, nor on the changelog."""
        guard = OffsetGuard()
        async for batch in stream.noack_take(  # type: ignore[attr-defined]
            settings.stream.batch_max, within=settings.stream.batch_seconds
        ):
            events = await admit_in_order(app, guard, batch, agent="deliver")
            for event in events:
                message = event.message
                if message.value is None:
                    continue
                if message.topic == alerts_name:
                    service.ingest_alert(message.value, message.partition)
                else:
                    service.ingest_manifest(message.value, message.partition)

            async def ack(events: list[Any] = events) -> None:
                for event in events:
                    await stream.ack(event)

            service.after_flush(ack)

    @app.on_before_shutdown.connect  # type: ignore[arg-type]  # mode's signal API is untyped
    async def stop_delivery(app: faust.App, **kwargs: Any) -> None:
        """Before Faust flushes its producer: stop sending, write the outbox."""
        await service.stop()

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # as above
    async def outbox_revoked(app: faust.App, revoked: Any, **kwargs: Any) -> None:
        """Before the partitions go: the outbox on the changelog, for their next owner."""
        await service.revoked()

    @app.on_rebalance_complete.connect  # type: ignore[arg-type]  # as above
    async def outbox_recovered(app: faust.App, **kwargs: Any) -> None:
        """Sent once the tables are recovered, before the streams resume."""
        service.recovered()

    @app.task  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def dispatch() -> None:
        await service.run()

    log.info(
        "webhooks.configured",
        subscribers=[s.id for s in subscriptions.subscribers],
    )
    return service
