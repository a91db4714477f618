"""Alert and subscriber builders for the webhook tests."""

from __future__ import annotations

from typing import Any

from alerts.webhooks.subscriptions import Subscriber
from schemas.alert import Alert


def alert(version: int = 1, status: str = "open", **fields: Any) -> Alert:
    """An alert of shipment SHP-T1 held by courier CUR-77."""
    data: dict[str, Any] = {
        "alert_id": "SHP-T1:temperature_excursion:1",
        "version": version,
        "status": status,
        "type": "temperature_excursion",
        "severity": "critical",
        "shipment_id": "SHP-T1",
        "coi_id": "COI-T1",
        "opened_at": "2026-11-29T22:00:00Z",
        "updated_at": "2026-11-29T22:00:00Z",
        "resolved_at": "2026-11-29T22:40:00Z" if status == "resolved" else None,
        "custodian": {"party_id": "CUR-77", "role": "courier"},
        "message": "Payload above -150 °C",
    }
    data.update(fields)
    return Alert.model_validate(data)


def subscriber(**fields: Any) -> Subscriber:
    data: dict[str, Any] = {
        "id": "sub-1",
        "url": "http://127.0.0.1:1/hook",
        "secret_env": "SUB_1_SECRET",
        "all_shipments": True,
    }
    data.update(fields)
    return Subscriber.model_validate(data)
