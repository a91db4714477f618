"""Kafka message <-> wire model glue: decode an incoming message, encode an outgoing record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel

from schemas.deadletter import DeadLetter
from schemas.decode import Decoded, decode
from streams.settings import Settings
from streams.topics import logical_name

RECEIVED_AT_HEADER = "cryotrace-received-at"
"""Header with the receiving clock (epoch ms) of a replayed recording; see streams.produce."""


def received_at(message: Any) -> datetime:
    """The receiving clock of a message: its ``cryotrace-received-at`` header when a recording
    was replayed, else the record timestamp (seconds in Faust)."""
    headers = getattr(message, "headers", None)
    if headers:  # most messages have none: no type check, no loop
        for name, value in headers.items() if isinstance(headers, Mapping) else headers:
            if name == RECEIVED_AT_HEADER:
                try:
                    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
                except (TypeError, ValueError, OverflowError):
                    break
    timestamp = getattr(message, "timestamp", None)
    if timestamp:
        return datetime.fromtimestamp(float(timestamp), tz=UTC)
    return datetime.now(tz=UTC)


def received_at_headers(moment: datetime) -> dict[str, bytes]:
    """Headers that carry a receiving clock along with a re-published message."""
    return {RECEIVED_AT_HEADER: str(int(moment.timestamp() * 1000)).encode("ascii")}


def decode_message(
    settings: Settings, message: Any, arrived: datetime | None = None
) -> Decoded | DeadLetter:
    """Decode one consumed message of an input topic with its provenance for dead letters
    (``arrived``: its ``received_at``, when the caller has it already)."""
    logical = logical_name(settings, message.topic)
    key = message.key.decode("utf-8", "replace") if isinstance(message.key, bytes) else message.key
    return decode(
        logical.value if logical else message.topic,
        message.value if message.value is not None else b"",
        received_at=arrived or received_at(message),
        key=key,
        partition=message.partition,
        offset=message.offset,
    )


def encode(record: BaseModel) -> bytes:
    """A wire model as the JSON bytes of its ``model_dump(mode="json")``."""
    return orjson.dumps(record.model_dump(mode="json"))


def shipment_key(shipment_id: str | None) -> bytes | None:
    """Message key: every topic is keyed by shipment id."""
    return shipment_id.encode("utf-8") if shipment_id is not None else None
