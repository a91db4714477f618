"""Builders of small, valid wire records for the sink's tests and benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from schemas.alert import Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading
from sinks.deliveries import WebhookDelivery

__all__ = [
    "T0",
    "alert",
    "custody_event",
    "deadletter",
    "delivery",
    "eta_update",
    "manifest",
    "reading",
]

T0 = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
"""A fixed departure time all builders count from."""


def manifest(shipment_id: str = "SHP-0001", **overrides: Any) -> ShipmentManifest:
    """A road shipment HUB-NE -> HOSP-BOS-01 on courier CUR-77, promised by T0 + 18 h."""
    data: dict[str, Any] = {
        "shipment_id": shipment_id,
        "coi_id": f"COI-{shipment_id}",
        "product_profile": "cryo-150",
        "origin": {"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
        "destination": {"site_id": "HOSP-BOS-01", "role": "hospital", "lat": 42.336, "lon": -71.1},
        "promised_window": {"start": T0 + timedelta(hours=12), "end": T0 + timedelta(hours=18)},
        "logger_id": "LOG-42",
        "shipper": {"shipper_id": "DS-9", "rated_hold_h": 240, "charged_at": T0},
        "legs": [
            {
                "mode": "road",
                "from_site": "HUB-NE",
                "to_site": "HOSP-BOS-01",
                "scheduled_departure": T0,
                "scheduled_arrival": T0 + timedelta(hours=14),
                "carrier": "CUR-77",
            }
        ],
        "created_at": T0 - timedelta(hours=1),
    }
    data.update(overrides)
    return ShipmentManifest.model_validate(data)


def reading(
    seq: int,
    shipment_id: str = "SHP-0001",
    *,
    temperature_c: float | None = -180.0,
    **overrides: Any,
) -> TelemetryReading:
    """Reading ``seq`` of logger LOG-42, ten minutes apart from T0."""
    data: dict[str, Any] = {
        "event_id": f"{shipment_id}:LOG-42:{seq}",
        "shipment_id": shipment_id,
        "logger_id": "LOG-42",
        "seq": seq,
        "recorded_at": T0 + timedelta(minutes=10 * seq),
        "temperature_c": temperature_c,
        "location": {"lat": 41.0 + seq * 1e-4, "lon": -75.0, "accuracy_m": 25.0},
        "lid_open": False,
        "tilt_deg": 3.0,
        "shock_g": 0.2,
        "battery_pct": 88.0,
        "ambient_c": 21.0,
    }
    data.update(overrides)
    return TelemetryReading.model_validate(data)


def custody_event(
    n: int,
    shipment_id: str = "SHP-0001",
    *,
    step: str = "departing",
    to_party: str | None = "CUR-77",
    to_role: str = "courier",
    **overrides: Any,
) -> CustodyEvent:
    """Custody event ``n`` of a shipment, ``n`` hours after T0."""
    data: dict[str, Any] = {
        "event_id": f"CUS-{shipment_id}-{n:02d}",
        "shipment_id": shipment_id,
        "coi_id": f"COI-{shipment_id}",
        "occurred_at": T0 + timedelta(hours=n),
        "step": step,
        "from_party": {"party_id": "HUB-NE", "role": "hub"},
        "to_party": None if to_party is None else {"party_id": to_party, "role": to_role},
        "site_id": "HUB-NE",
        "seal_id": "SEAL-88",
        "condition": "conformant",
        "signature": {"name": "A. Rivera", "meaning": "responsibility", "signed_at": T0},
    }
    data.update(overrides)
    return CustodyEvent.model_validate(data)


def alert(
    version: int = 1,
    shipment_id: str = "SHP-0001",
    *,
    alert_type: str = "temperature_excursion",
    episode: int = 1,
    **overrides: Any,
) -> Alert:
    """Version ``version`` of an alert; version 2 and later are resolved 40 minutes in."""
    resolved = version >= 2
    opened = T0 + timedelta(hours=2)
    data: dict[str, Any] = {
        "alert_id": f"{shipment_id}:{alert_type}:{episode}",
        "version": version,
        "status": "resolved" if resolved else "open",
        "type": alert_type,
        "severity": "critical",
        "shipment_id": shipment_id,
        "coi_id": f"COI-{shipment_id}",
        "opened_at": opened,
        "updated_at": opened + timedelta(minutes=40 if resolved else 0),
        "resolved_at": opened + timedelta(minutes=40) if resolved else None,
        "custodian": {"party_id": "CUR-77", "role": "courier"},
        "location": {"lat": 41.4, "lon": -74.8},
        "details": {"limit_c": -150, "peak_c": -141.2},
        "message": "Payload above -150 °C",
    }
    data.update(overrides)
    return Alert.model_validate(data)


def eta_update(
    shipment_id: str = "SHP-0001", *, hours: float = 1.0, late_by_h: float = 0.0
) -> EtaUpdate:
    """An ETA computed ``hours`` after T0, ``late_by_h`` past the promised end (p50)."""
    promised_end = T0 + timedelta(hours=18)
    return EtaUpdate(
        shipment_id=shipment_id,
        computed_at=T0 + timedelta(hours=hours),
        eta_p50=promised_end + timedelta(hours=late_by_h - 2),
        eta_p90=promised_end + timedelta(hours=late_by_h - 1),
        remaining_km=300.0,
        speed_kmh=80.0,
        promised_end=promised_end,
        risk="on_time" if late_by_h <= 1 else "late_p50",
        details={},
    )


def deadletter(offset: int | None = 7, reason: str = "invalid_json") -> DeadLetter:
    """A dead letter from partition 0 of the telemetry topic."""
    return DeadLetter(
        reason=reason,
        errors=[{"loc": "", "msg": "Expecting value", "type": "json_invalid"}],
        source_topic="cryotrace.telemetry.v1",
        partition=None if offset is None else 0,
        offset=offset,
        key="SHP-0001",
        raw="{not json",
        received_at=T0,
    )


def delivery(attempt: int = 1, outcome: str = "delivered") -> WebhookDelivery:
    """An attempt to deliver the first version of the excursion alert to courier-77."""
    return WebhookDelivery(
        delivery_id="msg_SHP-0001:temperature_excursion:1:1:courier-77",
        attempt=attempt,
        subscriber_id="courier-77",
        alert_id="SHP-0001:temperature_excursion:1",
        alert_version=1,
        outcome=outcome,  # type: ignore[arg-type]
        attempted_at=T0 + timedelta(hours=2, seconds=attempt),
        shipment_id="SHP-0001",
        http_status=200 if outcome == "delivered" else 503,
    )
