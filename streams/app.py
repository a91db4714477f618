"""The Faust app: the composition root that declares topics, tables and agents once."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faust

from streams.callback_lookup import lookup_without_free_lock
from streams.consumer_handoff import inline_handoff
from streams.consumer_tuning import fetch_at_least, shorten_fetch_wait
from streams.end_offsets import note_end_offsets_per_fetch
from streams.kafka_clients import faust_broker_credentials
from streams.lean_monitor import LeanMonitor
from streams.producer_buffer import cached_buffer_size
from streams.raw_schema import RawBytes
from streams.round_robin import RoundRobin
from streams.seek_fence import fence_seeks
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, Topic, topic_name

Role = Literal["all", "process", "sink", "deliver"]
"""What a worker runs: the stream processor, the warehouse sink, webhook delivery, or all."""

SINK_SUFFIX = "-sink"
DELIVER_SUFFIX = "-deliver"


@dataclass(frozen=True)
class Channels:
    """The app's Kafka topics, declared once from ``streams.topics``."""

    inputs: Any
    alerts: Any
    eta: Any
    deadletter: Any
    deliveries: Any
    outputs: Any


def app_id_for(settings: Settings, role: Role) -> str:
    """The sink has a consumer group of its own (with DuckDB it must run in exactly one
    process); so has webhook delivery, which scales apart from detection."""
    suffixes = {"sink": SINK_SUFFIX, "deliver": DELIVER_SUFFIX}
    return settings.app_id + suffixes.get(role, "")


def create_app(settings: Settings, role: Role = "all", *, web_port: int | None = None) -> faust.App:
    """A Faust app for one role, with raw-bytes topics (decoding is ours: schemas.decode)."""
    shorten_fetch_wait()
    fence_seeks()
    note_end_offsets_per_fetch()
    lookup_without_free_lock()
    cached_buffer_size()
    handoff = settings.stream.inline_handoff
    if role != "deliver" if handoff is None else handoff:  # unset: by role
        inline_handoff()
    app = faust.App(
        app_id_for(settings, role),
        broker=[f"kafka://{host}" for host in settings.kafka.bootstrap.split(",")],
        broker_credentials=faust_broker_credentials(settings.kafka),
        store="memory://",
        datadir=data_dir(settings, role),
        topic_partitions=settings.topics.partitions,
        topic_replication_factor=settings.topics.replication_factor,
        topic_allow_declare=True,
        topic_disable_leader=True,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        web_enabled=web_port is not None,
        web_port=web_port or settings.web_port,
        web_host="127.0.0.1",
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.stream.session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.stream.session_timeout_seconds / 3),
        stream_buffer_maxsize=20_000,
        # Agents ack in batches from their own checkpoints (timers that stop first at
        # shutdown): Faust must not wait for acks on stop or revocation, or it waits forever.
        # Unacked events are read again by the next owner; every write is idempotent.
        stream_wait_empty=False,
        broker_max_poll_records=5000,
        consumer_max_fetch_size=4 * 1024 * 1024,
        producer_linger_ms=5,
        producer_max_batch_size=256 * 1024,
        table_cleanup_interval=3600.0,
        table_standby_replicas=0,  # memory store: a standby is a second full copy; recovery reads the changelog
        loghandlers=[],
        Monitor=LeanMonitor,  # Faust's per-message statistics: nothing here reads them
        ConsumerScheduler=RoundRobin,  # Faust's order of records, one generator a level
    )
    if role == "sink":
        fetch_at_least(app, settings.warehouse.fetch_min_bytes)
    return app


def data_dir(settings: Settings, role: Role) -> Path:
    """Faust's data directory for the app: Faust makes it (and empty table directories in it)
    at start; its default, ``<app id>-data`` in the working directory, left one behind for
    every bench and test run."""
    parent = settings.stream.data_dir or Path(tempfile.gettempdir())
    return parent / f"cryotrace-{app_id_for(settings, role)}"


def declare_channels(app: faust.App, settings: Settings) -> Channels:
    """Faust topic objects for every topic the app touches."""

    def single(logical: Topic) -> Any:
        return app.topic(
            topic_name(settings, logical),
            schema=RawBytes(),
            partitions=settings.topics.partitions,
        )

    inputs = app.topic(
        *(topic_name(settings, t) for t in INPUT_TOPICS),
        schema=RawBytes(),
        partitions=settings.topics.partitions,
    )
    outputs = app.topic(
        *(
            topic_name(settings, t)
            for t in (Topic.ALERTS, Topic.ETA, Topic.DEADLETTER, Topic.DELIVERIES)
        ),
        schema=RawBytes(),
        partitions=settings.topics.partitions,
    )
    return Channels(
        inputs=inputs,
        alerts=single(Topic.ALERTS),
        eta=single(Topic.ETA),
        deadletter=single(Topic.DEADLETTER),
        deliveries=single(Topic.DELIVERIES),
        outputs=outputs,
    )
