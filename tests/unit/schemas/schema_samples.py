"""Valid wire messages (as plain dicts) for the schemas tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

RECEIVED_AT = datetime(2026, 11, 29, 22, 0, tzinfo=UTC)
"""Receiving clock used by the tests: after every sample's own time."""


def telemetry(**overrides: Any) -> dict[str, Any]:
    """A full telemetry reading as on the wire."""
    reading: dict[str, Any] = {
        "event_id": "LOG-42:1043",
        "shipment_id": "SHP-0001",
        "logger_id": "LOG-42",
        "seq": 1043,
        "recorded_at": "2026-11-29T21:10:00Z",
        "temperature_c": -182.4,
        "location": {"lat": 41.2, "lon": -75.9, "accuracy_m": 25},
        "lid_open": False,
        "tilt_deg": 3.0,
        "shock_g": 0.2,
        "battery_pct": 88,
        "ambient_c": 21.0,
    }
    reading.update(overrides)
    return reading


def custody(**overrides: Any) -> dict[str, Any]:
    """A custody handoff as on the wire."""
    event: dict[str, Any] = {
        "event_id": "CUS-0001-02",
        "shipment_id": "SHP-0001",
        "coi_id": "COI-7A3F-0001",
        "occurred_at": "2026-11-29T20:05:00Z",
        "step": "departing",
        "from_party": {"party_id": "HUB-NE", "role": "hub"},
        "to_party": {"party_id": "CUR-77", "role": "courier"},
        "site_id": "HUB-NE",
        "seal_id": "SEAL-88",
        "logger_id": "LOG-42",
        "condition": "conformant",
        "signature": {
            "name": "A. Rivera",
            "meaning": "responsibility",
            "signed_at": "2026-11-29T20:05:00Z",
        },
    }
    event.update(overrides)
    return event


def manifest(**overrides: Any) -> dict[str, Any]:
    """A shipment manifest as on the wire."""
    shipment: dict[str, Any] = {
        "shipment_id": "SHP-0001",
        "coi_id": "COI-7A3F-0001",
        "product_profile": "cryo-150",
        "origin": {"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
        "destination": {
            "site_id": "HOSP-BOS-01",
            "role": "hospital",
            "lat": 42.336,
            "lon": -71.106,
        },
        "promised_window": {"start": "2026-11-30T08:00:00Z", "end": "2026-11-30T14:00:00Z"},
        "logger_id": "LOG-42",
        "reporting_interval_s": 600,
        "shipper": {
            "shipper_id": "DS-9",
            "rated_hold_h": 240,
            "charged_at": "2026-11-28T06:00:00Z",
        },
        "legs": [
            {
                "mode": "road",
                "from_site": "HUB-NE",
                "to_site": "HOSP-BOS-01",
                "scheduled_departure": "2026-11-29T20:00:00Z",
                "scheduled_arrival": "2026-11-30T10:00:00Z",
                "carrier": "CUR-77",
            }
        ],
        "created_at": "2026-11-28T05:00:00Z",
    }
    shipment.update(overrides)
    return shipment


def epcis_sensor_event(**overrides: Any) -> dict[str, Any]:
    """A single EPCIS ObjectEvent with one temperature and position report."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-29T21:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.SHP-0001"],
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "sensorElementList": [
            {
                "sensorMetadata": {"time": "2026-11-29T20:50:00Z", "deviceID": "LOG-42"},
                "sensorReport": [
                    {"type": "Temperature", "value": -180.0, "uom": "CEL"},
                    {"type": "Angle", "component": "latitude", "value": 41.2, "uom": "DD"},
                    {"type": "Angle", "component": "longitude", "value": -75.9, "uom": "DD"},
                ],
            }
        ],
    }
    event.update(overrides)
    return event


SAMPLES = {
    "telemetry": telemetry,
    "custody": custody,
    "shipments": manifest,
    "epcis": epcis_sensor_event,
}
"""A valid sample builder for every logical topic."""
