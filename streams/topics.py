"""The one place that names Kafka topics: every topic of design.md, declared once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from streams.settings import Settings


class Topic(StrEnum):
    """Logical topic names (the ``topic`` field of a recording line)."""

    SHIPMENTS = "shipments"
    CUSTODY = "custody"
    TELEMETRY = "telemetry"
    EPCIS = "epcis"
    ALERTS = "alerts"
    ETA = "eta"
    DEADLETTER = "deadletter"
    DELIVERIES = "deliveries"
    """Webhook delivery attempts (the sink writes them to ``webhook_deliveries``)."""


INPUT_TOPICS: tuple[Topic, ...] = (Topic.SHIPMENTS, Topic.CUSTODY, Topic.TELEMETRY, Topic.EPCIS)
COMPACTED: frozenset[Topic] = frozenset({Topic.SHIPMENTS})


@dataclass(frozen=True)
class TopicSpec:
    """A topic as it exists on the cluster."""

    logical: Topic
    name: str
    partitions: int
    replication_factor: int
    compacted: bool


def topic_name(settings: Settings, logical: Topic | str) -> str:
    """``<prefix>.<logical>.v1``, e.g. ``cryotrace.telemetry.v1``."""
    return f"{settings.topics.prefix}.{Topic(logical).value}.v1"


def logical_name(settings: Settings, name: str) -> Topic | None:
    """The logical topic behind a full topic name, or None if it is not one of ours."""
    return _logical_names(settings.topics.prefix).get(name)


@functools.cache
def _logical_names(prefix: str) -> dict[str, Topic]:
    """Full name -> logical topic for one prefix (looked up once per consumed message)."""
    return {f"{prefix}.{logical.value}.v1": logical for logical in Topic}


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Every topic cryotrace needs, all co-partitioned by shipment (same partition count)."""
    return [
        TopicSpec(
            logical=logical,
            name=topic_name(settings, logical),
            partitions=settings.topics.partitions,
            replication_factor=settings.topics.replication_factor,
            compacted=logical in COMPACTED,
        )
        for logical in Topic
    ]
