"""Alert published on the alerts topic and sent as every webhook body."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from schemas.base import Identifier, Latitude, Longitude, WireModel
from schemas.custody import Party
from schemas.timestamps import Timestamp

__all__ = ["ALERT_SEVERITIES", "ALERT_STATUSES", "ALERT_TYPES", "Alert", "GeoPoint"]

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
