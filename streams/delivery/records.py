"""Delivery attempt records on the deliveries topic, and the warehouse rows they become."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import structlog
from pydantic import ValidationError

from schemas.base import WireModel
from schemas.timestamps import Timestamp
from sinks.deliveries import DeliveryOutcome, WebhookDelivery

__all__ = ["AttemptBatch", "DeliveryAttempt", "delivery_records", "encode_attempts"]

log = structlog.get_logger(__name__)


class DeliveryAttempt(WireModel):
    """One attempt (or the giving up) of one webhook delivery, as published for the sink.

    ``delivery_id`` is the ``webhook-id`` the receiver saw; ``delivery_id`` + ``attempt`` is
    the natural key of a ``webhook_deliveries`` row. Carries no secret and no payload."""

    delivery_id: str
    attempt: int
    subscriber_id: str
    alert_id: str
    alert_version: int
    shipment_id: str | None = None
    outcome: DeliveryOutcome
    attempted_at: Timestamp
    http_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None

    def to_row(self) -> WebhookDelivery:
        """The warehouse row."""
        return WebhookDelivery(**self.model_dump())


class AttemptBatch(WireModel):
    """A deliveries-topic message: the attempts of one partition in one flush."""

    attempts: list[DeliveryAttempt]


def encode_attempts(records: list[DeliveryAttempt]) -> bytes:
    """The message value of a batch of attempts (serialised by pydantic-core in one go)."""
    batch = AttemptBatch.model_construct(attempts=records)
    return AttemptBatch.__pydantic_serializer__.to_json(batch)


def delivery_records(message: Any) -> Iterator[WebhookDelivery]:
    """The ``webhook_deliveries`` rows of one consumed deliveries-topic message (a batch
    ``{"attempts": [...]}`` or a single attempt)."""
    try:
        raw = orjson.loads(message.value)
        if isinstance(raw, dict) and "attempts" in raw:
            batch = AttemptBatch.model_validate(raw).attempts
        else:
            batch = [DeliveryAttempt.model_validate(raw)]
    except (orjson.JSONDecodeError, ValidationError) as exc:
        log.error(
            "sink.bad_delivery_record",
            topic=message.topic,
            offset=message.offset,
            error=str(exc)[:300],
        )
        return
    for attempt in batch:
        yield attempt.to_row()
