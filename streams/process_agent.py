"""The stream processor agent: batches in, states to the table on change, outputs to topics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import faust

from alerts.state import ShipmentState
from streams.app import Channels
from streams.processor import BatchOutput, clock_step, process_batch
from streams.settings import Settings
from streams.topics import Topic, topic_name
from streams.wire import encode, received_at_headers, shipment_key

STATE_TABLE = "shipment-state"


Emit = Callable[[BatchOutput], Awaitable[None]]
"""Publishes one batch's outputs; the default sends them to Kafka (flows tests collect them)."""


def register_processor(
    app: faust.App, channels: Channels, settings: Settings, *, emit: Emit | None = None
) -> faust.types.AgentT[Any]:
    """Declare the state table and the processing agent over the input topics."""
    table = app.Table(
        STATE_TABLE,
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.topics.partitions,
    )
    forward_topics = {
        logical: app.topic(topic_name(settings, logical), key_type=bytes, value_type=bytes)
        for logical in (Topic.TELEMETRY, Topic.CUSTODY)
    }

    def load(shipment_id: str) -> ShipmentState | None:
        raw = table.data.get(shipment_key(shipment_id))
        return ShipmentState.from_json(raw) if raw else None

    async def send(out: BatchOutput) -> None:
        """Produce the outputs and wait until the broker has them all."""
        pending = [
            await channels.alerts.send(key=shipment_key(a.shipment_id), value=encode(a))
            for a in out.alerts
        ]
        pending += [
            await channels.deadletter.send(key=shipment_key(d.key), value=encode(d))
            for d in out.dead_letters
        ]
        pending += [
            await forward_topics[f.topic].send(
                key=shipment_key(f.event.shipment_id),
                value=encode(f.event),
                headers=received_at_headers(f.received_at),
            )
            for f in out.forwards
        ]
        if pending:
            await asyncio.gather(*pending)

    def store(out: BatchOutput) -> None:
        """Write changed states to the table and its changelog (only on change)."""
        for shipment_id, (partition, state) in out.states.items():
            key = shipment_key(shipment_id)
            encoded = state.to_json().encode("utf-8")
            if table.data.get(key) != encoded:
                table.data[key] = encoded
                table.send_changelog(partition, key, encoded)

    publish = emit or send
    # The agent and the timer both read, publish and write states: one at a time, or one
    # could write back a state the other already moved on from.
    state_lock = asyncio.Lock()

    @app.agent(channels.inputs, name="process")
    async def process(stream: faust.StreamT[bytes]) -> None:
        # noack_take is on faust.Stream but missing from the StreamT protocol
        async for events in stream.noack_take(  # type: ignore[attr-defined]
            settings.stream.batch_max, within=settings.stream.batch_seconds
        ):
            async with state_lock:
                out = process_batch(settings, (event.message for event in events), load)
                # Outputs are on the broker before the state that remembers them is written,
                # and offsets are acked last: a crash anywhere re-emits (idempotently).
                await publish(out)
                store(out)
            for event in events:
                await stream.ack(event)

    @app.timer(interval=settings.stream.tick_seconds)  # type: ignore[untyped-decorator]  # faust's decorator is untyped
    async def live_clock() -> None:
        """Settle alerts held back during late bursts; with the silence timer, tick the wall
        clock into every owned shipment (ongoing logger silence, transit time, timeouts)."""
        owned = owned_partitions(app, settings)
        if not owned:
            return
        async with state_lock:
            out = clock_step(settings, table.data.items(), owned, datetime.now(tz=UTC))
            await publish(out)
            store(out)

    return process


def owned_partitions(app: faust.App, settings: Settings) -> set[int]:
    """Partitions of the (co-partitioned) input topics this worker actively owns."""
    telemetry = topic_name(settings, Topic.TELEMETRY)
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == telemetry}
