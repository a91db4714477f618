"""Warehouse tables as SQLAlchemy Core metadata (the migrations create the same schema)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = [
    "ALERTS",
    "ALERT_HISTORY",
    "CUSTODY_EVENTS",
    "DEADLETTERS",
    "ETA_UPDATES",
    "QUARANTINE",
    "READINGS",
    "SHIPMENTS",
    "TABLES",
    "WEBHOOK_DELIVERIES",
    "metadata",
]

metadata = sa.MetaData()

_TS = sa.DateTime(timezone=True)


def _ingested() -> sa.Column[Any]:
    return sa.Column("ingested_at", _TS, nullable=False)


SHIPMENTS = sa.Table(
    "shipments",
    metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("coi_id", sa.Text, nullable=False),
    sa.Column("product_profile", sa.Text, nullable=False),
    sa.Column("profile_json", sa.Text),
    sa.Column("origin_site_id", sa.Text, nullable=False),
    sa.Column("origin_role", sa.Text),
    sa.Column("origin_lat", sa.Double),
    sa.Column("origin_lon", sa.Double),
    sa.Column("destination_site_id", sa.Text, nullable=False),
    sa.Column("destination_role", sa.Text),
    sa.Column("destination_lat", sa.Double),
    sa.Column("destination_lon", sa.Double),
    sa.Column("lane", sa.Text, nullable=False),
    sa.Column("hub_site_id", sa.Text),
    sa.Column("carrier", sa.Text),
    sa.Column("promised_start", _TS, nullable=False),
    sa.Column("promised_end", _TS, nullable=False),
    sa.Column("logger_id", sa.Text),
    sa.Column("reporting_interval_s", sa.Double),
    sa.Column("shipper_id", sa.Text),
    sa.Column("shipper_rated_hold_h", sa.Double),
    sa.Column("shipper_charged_at", _TS),
    sa.Column("legs_json", sa.Text, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    _ingested(),
)

READINGS = sa.Table(
    "readings",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("shipment_id", sa.Text, nullable=False),
    sa.Column("logger_id", sa.Text),
    sa.Column("seq", sa.BigInteger),
    sa.Column("recorded_at", _TS, nullable=False),
    sa.Column("temperature_c", sa.Double),
    sa.Column("temperature_min_c", sa.Double),
    sa.Column("temperature_max_c", sa.Double),
    sa.Column("lat", sa.Double),
    sa.Column("lon", sa.Double),
    sa.Column("accuracy_m", sa.Double),
    sa.Column("lid_open", sa.Boolean),
    sa.Column("tilt_deg", sa.Double),
    sa.Column("shock_g", sa.Double),
    sa.Column("battery_pct", sa.Double),
    sa.Column("ambient_c", sa.Double),
    _ingested(),
)
# PostgreSQL only (migration 0001): DuckDB prunes scans by zone maps, ART indexes slow inserts
sa.Index("ix_readings_shipment_recorded", READINGS.c.shipment_id, READINGS.c.recorded_at)

CUSTODY_EVENTS = sa.Table(
    "custody_events",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("shipment_id", sa.Text, nullable=False),
    sa.Column("chain_index", sa.Integer, nullable=False),
    sa.Column("coi_id", sa.Text),
    sa.Column("occurred_at", _TS, nullable=False),
    sa.Column("step", sa.Text, nullable=False),
    sa.Column("from_party_id", sa.Text),
    sa.Column("from_role", sa.Text),
    sa.Column("to_party_id", sa.Text),
    sa.Column("to_role", sa.Text),
    sa.Column("site_id", sa.Text),
    sa.Column("seal_id", sa.Text),
    sa.Column("logger_id", sa.Text),
    sa.Column("condition", sa.Text),
    sa.Column("signer_name", sa.Text),
    sa.Column("signature_meaning", sa.Text),
    sa.Column("signed_at", _TS),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("row_hash", sa.Text, nullable=False),
    _ingested(),
    sa.UniqueConstraint("shipment_id", "chain_index", name="uq_custody_events_chain"),
)


def _alert_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("alert_type", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("shipment_id", sa.Text, nullable=False),
        sa.Column("coi_id", sa.Text),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS),
        sa.Column("custodian_party_id", sa.Text),
        sa.Column("custodian_role", sa.Text),
        sa.Column("lat", sa.Double),
        sa.Column("lon", sa.Double),
        sa.Column("details_json", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        _ingested(),
    ]


ALERTS = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    *_alert_columns(),
)
sa.Index("ix_alerts_shipment", ALERTS.c.shipment_id)

ALERT_HISTORY = sa.Table(
    "alert_history",
    metadata,
    sa.Column("alert_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    *_alert_columns(),
)

ETA_UPDATES = sa.Table(
    "eta_updates",
    metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("computed_at", _TS, primary_key=True),
    sa.Column("eta_p50", _TS),
    sa.Column("eta_p90", _TS),
    sa.Column("remaining_km", sa.Double),
    sa.Column("speed_kmh", sa.Double),
    sa.Column("promised_end", _TS),
    sa.Column("risk", sa.Text, nullable=False),
    sa.Column("details_json", sa.Text, nullable=False),
    _ingested(),
)

WEBHOOK_DELIVERIES = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("delivery_id", sa.Text, primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("subscriber_id", sa.Text, nullable=False),
    sa.Column("alert_id", sa.Text, nullable=False),
    sa.Column("alert_version", sa.Integer, nullable=False),
    sa.Column("shipment_id", sa.Text),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("attempted_at", _TS, nullable=False),
    sa.Column("duration_ms", sa.Double),
    _ingested(),
)

QUARANTINE = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.Text, primary_key=True),
    sa.Column("table_name", sa.Text, nullable=False),
    sa.Column("expectation", sa.Text, nullable=False),
    sa.Column("row_json", sa.Text, nullable=False),
    sa.Column("quarantined_at", _TS, nullable=False),
)

DEADLETTERS = sa.Table(
    "deadletters",
    metadata,
    sa.Column("deadletter_id", sa.Text, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("errors_json", sa.Text, nullable=False),
    sa.Column("source_topic", sa.Text, nullable=False),
    sa.Column("source_partition", sa.Integer),
    sa.Column("source_offset", sa.BigInteger),
    sa.Column("message_key", sa.Text),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("received_at", _TS, nullable=False),
    _ingested(),
)

TABLES: dict[str, sa.Table] = {table.name: table for table in metadata.sorted_tables}
"""Every warehouse table by name."""
