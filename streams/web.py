"""Worker endpoints on the Faust web server: /health, /ready, /metrics, /shipments/{id}."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alerts.lifecycle import to_datetime
from alerts.state import ShipmentState
from streams.metrics import CONSUMER_LAG, REGISTRY
from streams.positions import lag
from streams.state_store import ShipmentStates


def shipment_view(state: ShipmentState) -> dict[str, Any]:
    """What the live API tells about one shipment (ids and conditions only, no personal data)."""
    manifest = state.manifest
    latest = to_datetime(state.latest_t) if state.latest_t is not None else None
    custodian = state.custodian_at(latest) if latest is not None else None
    alerts = {
        alert_id: {"version": version, "type": body["type"], "open": body["resolved_t"] is None}
        for alert_id, (version, body) in state.book.emitted.items()
    }
    return {
        "shipment_id": state.shipment_id,
        "coi_id": manifest.coi_id if manifest else None,
        "product_profile": manifest.product_profile if manifest else None,
        "origin": manifest.origin.site_id if manifest else None,
        "destination": manifest.destination.site_id if manifest else None,
        "custodian": custodian.model_dump(mode="json") if custodian else None,
        "readings_kept": len(state.history),
        "latest_event_at": latest.isoformat() if latest else None,
        "pending_without_manifest": len(state.pending),
        "alerts": alerts,
    }


def register_web(app: faust.App, table: Any, states: ShipmentStates) -> None:
    """Declare the worker's pages (served when the worker runs with ``--web-port``)."""

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        # recovery is on faust's TableManager, not on its TableManagerT protocol
        recovered = bool(app.tables.recovery.completed.is_set())  # type: ignore[attr-defined]
        assigned = sorted(f"{tp.topic}:{tp.partition}" for tp in app.assignor.assigned_actives())
        return web.json(
            {"ready": recovered, "assigned": assigned},
            status=200 if recovered else 503,
        )

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        CONSUMER_LAG.set(sum(lag(app).values()))
        # aiohttp wants the charset apart from the media type
        media_type = CONTENT_TYPE_LATEST.split(";")[0]
        return web.bytes(generate_latest(REGISTRY), content_type=f"{media_type}; version=0.0.4")

    @app.page("/shipments/{shipment_id}")
    @app.table_route(table=table, match_info="shipment_id")
    async def shipment(web: Any, request: Any, shipment_id: str) -> Any:
        state = states.load(shipment_id)
        if state is None:
            return web.json({"error": f"unknown shipment {shipment_id}"}, status=404)
        return web.json(shipment_view(state))
