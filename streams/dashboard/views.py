"""The warehouse tables and dashboard views the dashboard reads, as SQLAlchemy Core selectables."""

from __future__ import annotations

import sqlalchemy as sa

from sinks.models import ALERT_HISTORY, ALERTS, ETA_UPDATES, READINGS, SHIPMENTS

__all__ = [
    "ALERTS",
    "ALERT_HISTORY",
    "CUSTODY_TIMELINE",
    "ETA_UPDATES",
    "EXCURSION_KPIS",
    "ON_TIME",
    "READINGS",
    "SHIPMENTS",
    "SHIPMENT_STATUS",
]

SHIPMENT_STATUS = sa.table(
    "v_shipment_status",
    *(
        sa.column(name)
        for name in (
            "shipment_id",
            "coi_id",
            "product_profile",
            "lane",
            "origin_site_id",
            "destination_site_id",
            "hub_site_id",
            "carrier",
            "promised_start",
            "promised_end",
            "state",
            "custodian_party_id",
            "custodian_role",
            "custodian_since",
            "last_step",
            "last_step_at",
            "delivered_at",
            "last_reading_at",
            "last_lat",
            "last_lon",
            "last_battery_pct",
            "last_temperature_c",
            "last_temperature_at",
            "open_alerts",
            "open_critical_alerts",
            "eta_computed_at",
            "eta_p50",
            "eta_p90",
            "eta_risk",
            "eta_p50_vs_promise_s",
            "eta_p90_vs_promise_s",
        )
    ),
)
"""``v_shipment_status``: one row per shipment (state, custodian, last reading, ETA)."""

CUSTODY_TIMELINE = sa.table(
    "v_custody_timeline",
    *(
        sa.column(name)
        for name in (
            "shipment_id",
            "chain_index",
            "event_id",
            "occurred_at",
            "step",
            "from_party_id",
            "from_role",
            "to_party_id",
            "to_role",
            "site_id",
            "seal_id",
            "logger_id",
            "condition",
            "signer_name",
            "signature_meaning",
            "signed_at",
            "coi_id",
            "manifest_coi_id",
            "coi_mismatch",
            "since_previous_s",
            "prev_hash",
            "row_hash",
        )
    ),
)
"""``v_custody_timeline``: custody links with the gap since the previous one."""

_KPI_COLUMNS = (
    "dimension",
    "dimension_value",
    "shipments",
    "excursions",
    "shipments_with_excursion",
    "excursions_per_100_shipments",
    "time_out_of_range_s",
)
EXCURSION_KPIS = sa.table("v_excursion_kpis", *(sa.column(name) for name in _KPI_COLUMNS))
"""``v_excursion_kpis``: excursions and time out of range by lane, courier, product, hub."""

ON_TIME = sa.table(
    "v_on_time",
    *(
        sa.column(name)
        for name in (
            "dimension",
            "dimension_value",
            "delivered",
            "on_time",
            "late",
            "on_time_rate",
            "worst_lateness_s",
        )
    ),
)
"""``v_on_time``: delivered shipments against their promise, overall, by lane and courier."""
