"""One webhook delivery attempt, as the alert delivery code reports it to the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["DeliveryOutcome", "WebhookDelivery"]

DeliveryOutcome = Literal["delivered", "failed", "retrying", "dead_lettered"]


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """A delivery attempt; ``delivery_id`` + ``attempt`` is its natural key."""

    delivery_id: str
    attempt: int
    subscriber_id: str
    alert_id: str
    alert_version: int
    outcome: DeliveryOutcome
    attempted_at: datetime
    shipment_id: str | None = None
    http_status: int | None = None
    error: str | None = None
    duration_ms: float | None = None
