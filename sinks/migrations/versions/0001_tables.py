"""Create the warehouse tables.

Revision ID: 0001_tables
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_tables"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)

_TABLES = (
    "webhook_deliveries",
    "shipments",
    "readings",
    "quarantine",
    "eta_updates",
    "deadletters",
    "custody_events",
    "alerts",
    "alert_history",
)


def _secondary_indexes() -> bool:
    """DuckDB prunes scans with zone maps; its ART indexes only slow bulk inserts down."""
    return op.get_bind().dialect.name != "duckdb"


def upgrade() -> None:
    op.create_table(
        "alert_history",
        sa.Column("alert_id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("alert_type", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("shipment_id", sa.Text(), nullable=False),
        sa.Column("coi_id", sa.Text()),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS),
        sa.Column("custodian_party_id", sa.Text()),
        sa.Column("custodian_role", sa.Text()),
        sa.Column("lat", sa.Double()),
        sa.Column("lon", sa.Double()),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Text(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("alert_type", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("shipment_id", sa.Text(), nullable=False),
        sa.Column("coi_id", sa.Text()),
        sa.Column("opened_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS),
        sa.Column("custodian_party_id", sa.Text()),
        sa.Column("custodian_role", sa.Text()),
        sa.Column("lat", sa.Double()),
        sa.Column("lon", sa.Double()),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    op.create_index("ix_alerts_shipment", "alerts", ["shipment_id"])
    op.create_table(
        "custody_events",
        sa.Column("event_id", sa.Text(), primary_key=True),
        sa.Column("shipment_id", sa.Text(), nullable=False),
        sa.Column("chain_index", sa.Integer(), nullable=False),
        sa.Column("coi_id", sa.Text()),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("from_party_id", sa.Text()),
        sa.Column("from_role", sa.Text()),
        sa.Column("to_party_id", sa.Text()),
        sa.Column("to_role", sa.Text()),
        sa.Column("site_id", sa.Text()),
        sa.Column("seal_id", sa.Text()),
        sa.Column("logger_id", sa.Text()),
        sa.Column("condition", sa.Text()),
        sa.Column("signer_name", sa.Text()),
        sa.Column("signature_meaning", sa.Text()),
        sa.Column("signed_at", _TS),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("row_hash", sa.Text(), nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
        sa.UniqueConstraint("shipment_id", "chain_index", name="uq_custody_events_chain"),
    )
    op.create_table(
        "deadletters",
        sa.Column("deadletter_id", sa.Text(), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("errors_json", sa.Text(), nullable=False),
        sa.Column("source_topic", sa.Text(), nullable=False),
        sa.Column("source_partition", sa.Integer()),
        sa.Column("source_offset", sa.BigInteger()),
        sa.Column("message_key", sa.Text()),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    op.create_table(
        "eta_updates",
        sa.Column("shipment_id", sa.Text(), primary_key=True),
        sa.Column("computed_at", _TS, primary_key=True),
        sa.Column("eta_p50", _TS),
        sa.Column("eta_p90", _TS),
        sa.Column("remaining_km", sa.Double()),
        sa.Column("speed_kmh", sa.Double()),
        sa.Column("promised_end", _TS),
        sa.Column("risk", sa.Text(), nullable=False),
        sa.Column("details_json", sa.Text(), nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    op.create_table(
        "quarantine",
        sa.Column("quarantine_id", sa.Text(), primary_key=True),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("expectation", sa.Text(), nullable=False),
        sa.Column("row_json", sa.Text(), nullable=False),
        sa.Column("quarantined_at", _TS, nullable=False),
    )
    op.create_table(
        "readings",
        sa.Column("event_id", sa.Text(), primary_key=True),
        sa.Column("shipment_id", sa.Text(), nullable=False),
        sa.Column("logger_id", sa.Text()),
        sa.Column("seq", sa.BigInteger()),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.Column("temperature_c", sa.Double()),
        sa.Column("temperature_min_c", sa.Double()),
        sa.Column("temperature_max_c", sa.Double()),
        sa.Column("lat", sa.Double()),
        sa.Column("lon", sa.Double()),
        sa.Column("accuracy_m", sa.Double()),
        sa.Column("lid_open", sa.Boolean()),
        sa.Column("tilt_deg", sa.Double()),
        sa.Column("shock_g", sa.Double()),
        sa.Column("battery_pct", sa.Double()),
        sa.Column("ambient_c", sa.Double()),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    if _secondary_indexes():
        op.create_index("ix_readings_shipment_recorded", "readings", ["shipment_id", "recorded_at"])
    op.create_table(
        "shipments",
        sa.Column("shipment_id", sa.Text(), primary_key=True),
        sa.Column("coi_id", sa.Text(), nullable=False),
        sa.Column("product_profile", sa.Text(), nullable=False),
        sa.Column("profile_json", sa.Text()),
        sa.Column("origin_site_id", sa.Text(), nullable=False),
        sa.Column("origin_role", sa.Text()),
        sa.Column("origin_lat", sa.Double()),
        sa.Column("origin_lon", sa.Double()),
        sa.Column("destination_site_id", sa.Text(), nullable=False),
        sa.Column("destination_role", sa.Text()),
        sa.Column("destination_lat", sa.Double()),
        sa.Column("destination_lon", sa.Double()),
        sa.Column("lane", sa.Text(), nullable=False),
        sa.Column("hub_site_id", sa.Text()),
        sa.Column("carrier", sa.Text()),
        sa.Column("promised_start", _TS, nullable=False),
        sa.Column("promised_end", _TS, nullable=False),
        sa.Column("logger_id", sa.Text()),
        sa.Column("reporting_interval_s", sa.Double()),
        sa.Column("shipper_id", sa.Text()),
        sa.Column("shipper_rated_hold_h", sa.Double()),
        sa.Column("shipper_charged_at", _TS),
        sa.Column("legs_json", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("ingested_at", _TS, nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.Text(), primary_key=True),
        sa.Column("attempt", sa.Integer(), primary_key=True),
        sa.Column("subscriber_id", sa.Text(), nullable=False),
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("alert_version", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Text()),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("attempted_at", _TS, nullable=False),
        sa.Column("duration_ms", sa.Double()),
        sa.Column("ingested_at", _TS, nullable=False),
    )


def downgrade() -> None:
    if _secondary_indexes():
        op.drop_index("ix_readings_shipment_recorded", table_name="readings")
    op.drop_index("ix_alerts_shipment", table_name="alerts")
    for table in _TABLES:
        op.drop_table(table)
