"""Alert published on the alerts topic and sent as every webhook body."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from pydantic import Field

from schemas.base import Identifier, Latitude, Longitude, WireModel
from schemas.custody import Party
from schemas.timestamps import Timestamp

__all__ = [
    "ALERT_SEVERITIES",
    "ALERT_STATUSES",
    "ALERT_TYPES",
    "Alert",
    "GeoPoint",
    "content_digest",
]

ALERT_TYPES: frozenset[str] = frozenset(
    {
        "temperature_excursion",
        "temperature_warning",
        "out_of_range_budget",
        "lid_open",
        "shock",
        "tilt",
        "low_battery",
        "logger_silent",
        "sequence_gap",
        "hold_time_risk",
        "late_delivery_risk",
        "dwell_exceeded",
        "max_transit_exceeded",
        "coi_mismatch",
        "custody_gap",
        "non_conformant_receipt",
    }
)
"""The alert types of design.md (the rules may add more; ``Alert.type`` is not restricted)."""

AlertStatus = Literal["open", "updated", "resolved"]
AlertSeverity = Literal["info", "warning", "critical"]
ALERT_STATUSES: tuple[str, ...] = ("open", "updated", "resolved")
ALERT_SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
"""Severities from least to most severe."""


class GeoPoint(WireModel):
    """A latitude/longitude pair."""

    lat: Latitude
    lon: Longitude


class Alert(WireModel):
    """One version of an alert; ``alert_id`` + ``version`` identify it."""

    alert_id: Identifier
    version: Annotated[int, Field(ge=1)]
    status: AlertStatus
    type: Identifier
    severity: AlertSeverity
    shipment_id: Identifier
    coi_id: Identifier | None = None
    opened_at: Timestamp
    updated_at: Timestamp
    resolved_at: Timestamp | None = None
    custodian: Party | None = None
    location: GeoPoint | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    message: str


def content_digest(alert: Alert) -> str:
    """What one version of an alert says, as a short digest: everything but ``version``.

    Two publications of one ``alert_id`` + ``version`` must have the same digest; it is the
    same for an alert as built and as read back from its JSON on the topic."""
    body = alert.model_dump_json(exclude={"version"}).encode("utf-8")
    return hashlib.blake2b(body, digest_size=8).hexdigest()
