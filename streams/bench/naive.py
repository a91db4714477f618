"""The textbook Faust pipeline to compare with: one event at a time, a table write per event.

Run as ``python -m streams.bench.naive`` with the usual ``CRYOTRACE_*`` environment; its
consumer group is ``<app id>-naive``. It applies the same rule engine, per event, reading
and writing the shipment's state in a JSON table on every event, as a tutorial would.
"""

from __future__ import annotations

from typing import Any

import faust

from alerts.engine import apply
from alerts.state import ShipmentState
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading
from streams.app import data_dir
from streams.kafka_clients import faust_broker_credentials
from streams.settings import Settings, get_settings
from streams.topics import Topic, topic_name


def build_app(settings: Settings) -> faust.App:
    """A Faust app with one per-event agent over manifests and telemetry."""
    app_id = f"{settings.app_id}-naive"
    app = faust.App(
        app_id,
        broker=f"kafka://{settings.kafka.bootstrap}",
        broker_credentials=faust_broker_credentials(settings.kafka),
        store="memory://",
        topic_partitions=settings.topics.partitions,
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        datadir=data_dir(settings.model_copy(update={"app_id": app_id}), "process"),
    )
    shipments = topic_name(settings, Topic.SHIPMENTS)
    topic = app.topic(shipments, topic_name(settings, Topic.TELEMETRY), value_type=bytes)
    table = app.Table("naive-state", default=str, partitions=settings.topics.partitions)

    @app.agent(topic)
    async def per_event(stream: Any) -> None:
        async for event in stream.events():
            is_manifest = event.message.topic == shipments
            model = ShipmentManifest if is_manifest else TelemetryReading
            record = model.model_validate_json(event.value)
            raw = table[record.shipment_id]
            state = ShipmentState.from_json(raw) if raw else None
            step = apply(state, record, settings.rules)
            if step.state is not None:
                table[record.shipment_id] = step.state.to_json()

    return app


def main() -> None:
    app = build_app(get_settings())
    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
