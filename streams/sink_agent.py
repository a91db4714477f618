"""The warehouse sink agent: micro-batches flushed in a thread, offsets acked after commit."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import faust
import structlog
from pydantic import ValidationError

from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from schemas.decode import Decoded
from schemas.eta import EtaUpdate
from sinks.writer import SinkRecord
from streams.app import Channels
from streams.continuity import OffsetGuard, admit_in_order
from streams.delivery.records import delivery_records
from streams.event_batches import event_batches
from streams.held_messages import ack_events
from streams.metrics import SINK_BATCH_SECONDS
from streams.raw_schema import RawBytes
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, Topic, logical_name
from streams.wire import decode_message

log = structlog.get_logger(__name__)

_OUTPUT_MODELS: dict[Topic, type[Alert | EtaUpdate | DeadLetter]] = {
    Topic.ALERTS: Alert,
    Topic.ETA: EtaUpdate,
    Topic.DEADLETTER: DeadLetter,
}


def warehouse_records(settings: Settings, message: Any) -> Iterator[SinkRecord]:
    """The warehouse rows one consumed message stands for (bad input yields nothing here:
    the processor dead-letters it and the sink stores that dead letter from its topic)."""
    logical = logical_name(settings, message.topic)
    if logical in INPUT_TOPICS:
        outcome = decode_message(settings, message)
        if isinstance(outcome, Decoded):
            yield from outcome.events
        return
    if logical == Topic.DELIVERIES:
        yield from delivery_records(message)
        return
    model = _OUTPUT_MODELS.get(logical) if logical else None
    if model is None:
        return
    try:
        yield model.model_validate_json(message.value)
    except ValidationError as exc:  # our own output topics: a bug or a foreign producer
        log.error(
            "sink.bad_output_record",
            topic=message.topic,
            offset=message.offset,
            error=str(exc)[:300],
        )


def register_sink(app: faust.App, channels: Channels, settings: Settings) -> None:
    """Declare the sink agent over the input and output topics."""
    from sinks.expectations import prepare
    from sinks.migrate import upgrade
    from sinks.writer import WarehouseSink

    topic = app.topic(*channels.inputs.topics, *channels.outputs.topics, schema=RawBytes())

    @app.agent(topic, name="warehouse-sink")
    async def warehouse_sink(stream: faust.StreamT[bytes]) -> None:
        await asyncio.to_thread(upgrade, settings.warehouse.url)
        await asyncio.to_thread(prepare)  # GX loaded before the first batch, not during it
        sink = WarehouseSink(settings.warehouse.url, migrate=False)  # migrated above, off the loop
        log.info("sink.ready", warehouse=settings.warehouse.url.split("://", 1)[0])
        try:
            guard = OffsetGuard()
            async for batch in event_batches(
                stream, settings.warehouse.batch_size, settings.warehouse.batch_seconds
            ):
                events = await admit_in_order(app, guard, batch, agent="warehouse-sink")
                for event in events:
                    for record in warehouse_records(settings, event.message):
                        sink.add(record)
                with SINK_BATCH_SECONDS.time():
                    report = await asyncio.to_thread(sink.flush)
                ack_events(app, events)
                log.debug("sink.flushed", messages=len(events), report=str(report))
        finally:
            await asyncio.to_thread(sink.close)
