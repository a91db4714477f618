"""Dashboard views (portable SQL: DuckDB and PostgreSQL).

Revision ID: 0002_views
Revises: 0001_tables
Create Date: 2026-11-28
"""

# ruff: noqa: S608  (view DDL assembled from constant fragments only; no values involved)

from __future__ import annotations

from alembic import op

revision = "0002_views"
down_revision = "0001_tables"
branch_labels = None
depends_on = None


def _seconds(later: str, earlier: str) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {later}) - EXTRACT(EPOCH FROM {earlier}) AS DOUBLE PRECISION)"


V_SHIPMENT_STATUS = f"""
CREATE VIEW v_shipment_status AS
WITH handoffs AS (
    SELECT shipment_id, to_party_id, to_role, occurred_at,
           ROW_NUMBER() OVER (PARTITION BY shipment_id
                              ORDER BY occurred_at DESC, chain_index DESC) AS rn
    FROM custody_events
    WHERE to_party_id IS NOT NULL
),
last_step AS (
    SELECT shipment_id, step, occurred_at,
           ROW_NUMBER() OVER (PARTITION BY shipment_id
                              ORDER BY occurred_at DESC, chain_index DESC) AS rn
    FROM custody_events
),
received AS (
    SELECT shipment_id, MIN(occurred_at) AS delivered_at
    FROM custody_events
    WHERE step = 'receiving'
    GROUP BY shipment_id
),
last_reading AS (
    SELECT shipment_id, recorded_at, lat, lon, battery_pct,
           ROW_NUMBER() OVER (PARTITION BY shipment_id
                              ORDER BY recorded_at DESC, event_id DESC) AS rn
    FROM readings
),
last_temperature AS (
    SELECT shipment_id, recorded_at, temperature_c,
           ROW_NUMBER() OVER (PARTITION BY shipment_id
                              ORDER BY recorded_at DESC, event_id DESC) AS rn
    FROM readings
    WHERE temperature_c IS NOT NULL
),
open_alerts AS (
    SELECT shipment_id,
           COUNT(*) AS open_alerts,
           SUM(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END) AS open_critical_alerts
    FROM alerts
    WHERE status <> 'resolved'
    GROUP BY shipment_id
),
latest_eta AS (
    SELECT shipment_id, computed_at, eta_p50, eta_p90, risk,
           ROW_NUMBER() OVER (PARTITION BY shipment_id ORDER BY computed_at DESC) AS rn
    FROM eta_updates
)
SELECT s.shipment_id, s.coi_id, s.product_profile, s.lane, s.origin_site_id,
       s.destination_site_id, s.hub_site_id, s.carrier, s.promised_start, s.promised_end,
       CASE WHEN r.delivered_at IS NOT NULL THEN 'delivered'
            WHEN ls.step IS NOT NULL THEN 'in_transit'
            ELSE 'booked' END AS state,
       h.to_party_id AS custodian_party_id, h.to_role AS custodian_role,
       h.occurred_at AS custodian_since,
       ls.step AS last_step, ls.occurred_at AS last_step_at, r.delivered_at,
       lr.recorded_at AS last_reading_at, lr.lat AS last_lat, lr.lon AS last_lon,
       lr.battery_pct AS last_battery_pct,
       lt.temperature_c AS last_temperature_c, lt.recorded_at AS last_temperature_at,
       CAST(COALESCE(oa.open_alerts, 0) AS BIGINT) AS open_alerts,
       CAST(COALESCE(oa.open_critical_alerts, 0) AS BIGINT) AS open_critical_alerts,
       e.computed_at AS eta_computed_at, e.eta_p50, e.eta_p90, e.risk AS eta_risk,
       {_seconds("e.eta_p50", "s.promised_end")} AS eta_p50_vs_promise_s,
       {_seconds("e.eta_p90", "s.promised_end")} AS eta_p90_vs_promise_s
FROM shipments s
LEFT JOIN handoffs h ON h.shipment_id = s.shipment_id AND h.rn = 1
LEFT JOIN last_step ls ON ls.shipment_id = s.shipment_id AND ls.rn = 1
LEFT JOIN received r ON r.shipment_id = s.shipment_id
LEFT JOIN last_reading lr ON lr.shipment_id = s.shipment_id AND lr.rn = 1
LEFT JOIN last_temperature lt ON lt.shipment_id = s.shipment_id AND lt.rn = 1
LEFT JOIN open_alerts oa ON oa.shipment_id = s.shipment_id
LEFT JOIN latest_eta e ON e.shipment_id = s.shipment_id AND e.rn = 1
"""


def _kpi_group(dimension: str, expression: str) -> str:
    return f"""
SELECT '{dimension}' AS dimension, {expression} AS dimension_value,
       CAST(COUNT(*) AS BIGINT) AS shipments,
       CAST(SUM(excursions) AS BIGINT) AS excursions,
       CAST(SUM(CASE WHEN excursions > 0 THEN 1 ELSE 0 END) AS BIGINT)
           AS shipments_with_excursion,
       CAST(100.0 * SUM(excursions) / COUNT(*) AS DOUBLE PRECISION)
           AS excursions_per_100_shipments,
       CAST(SUM(out_of_range_s) AS DOUBLE PRECISION) AS time_out_of_range_s
FROM per_shipment
GROUP BY {expression}"""


V_EXCURSION_KPIS = f"""
CREATE VIEW v_excursion_kpis AS
WITH excursions AS (
    SELECT shipment_id,
           COUNT(*) AS excursions,
           SUM({_seconds("COALESCE(resolved_at, updated_at)", "opened_at")}) AS out_of_range_s
    FROM alerts
    WHERE alert_type = 'temperature_excursion'
    GROUP BY shipment_id
),
per_shipment AS (
    SELECT s.shipment_id, s.lane, s.carrier, s.product_profile, s.hub_site_id,
           COALESCE(x.excursions, 0) AS excursions,
           COALESCE(x.out_of_range_s, 0) AS out_of_range_s
    FROM shipments s
    LEFT JOIN excursions x ON x.shipment_id = s.shipment_id
)
{_kpi_group("lane", "lane")}
UNION ALL
{_kpi_group("courier", "COALESCE(carrier, 'unknown')")}
UNION ALL
{_kpi_group("product", "product_profile")}
UNION ALL
{_kpi_group("hub", "COALESCE(hub_site_id, 'none')")}
"""


def _on_time_group(dimension: str, expression: str) -> str:
    return f"""
SELECT '{dimension}' AS dimension, {expression} AS dimension_value,
       CAST(COUNT(*) AS BIGINT) AS delivered,
       CAST(SUM(CASE WHEN delivered_at <= promised_end THEN 1 ELSE 0 END) AS BIGINT) AS on_time,
       CAST(SUM(CASE WHEN delivered_at > promised_end THEN 1 ELSE 0 END) AS BIGINT) AS late,
       CAST(1.0 * SUM(CASE WHEN delivered_at <= promised_end THEN 1 ELSE 0 END) / COUNT(*)
            AS DOUBLE PRECISION) AS on_time_rate,
       CAST(MAX({_seconds("delivered_at", "promised_end")}) AS DOUBLE PRECISION)
           AS worst_lateness_s
FROM delivered
GROUP BY {expression}"""


V_ON_TIME = f"""
CREATE VIEW v_on_time AS
WITH delivered AS (
    SELECT s.shipment_id, 'all' AS everything, s.lane, s.carrier, s.product_profile,
           s.promised_end, MIN(c.occurred_at) AS delivered_at
    FROM shipments s
    JOIN custody_events c ON c.shipment_id = s.shipment_id AND c.step = 'receiving'
    GROUP BY s.shipment_id, s.lane, s.carrier, s.product_profile, s.promised_end
)
{_on_time_group("all", "everything")}
UNION ALL
{_on_time_group("lane", "lane")}
UNION ALL
{_on_time_group("courier", "COALESCE(carrier, 'unknown')")}
"""

_SINCE_PREVIOUS = _seconds(
    "c.occurred_at",
    "LAG(c.occurred_at) OVER (PARTITION BY c.shipment_id ORDER BY c.occurred_at, c.chain_index)",
)

V_CUSTODY_TIMELINE = f"""
CREATE VIEW v_custody_timeline AS
SELECT c.shipment_id, c.chain_index, c.event_id, c.occurred_at, c.step,
       c.from_party_id, c.from_role, c.to_party_id, c.to_role, c.site_id, c.seal_id,
       c.logger_id, c.condition, c.signer_name, c.signature_meaning, c.signed_at,
       c.coi_id, s.coi_id AS manifest_coi_id,
       CASE WHEN c.coi_id IS NOT NULL AND s.coi_id IS NOT NULL AND c.coi_id <> s.coi_id
            THEN TRUE ELSE FALSE END AS coi_mismatch,
       {_SINCE_PREVIOUS} AS since_previous_s,
       c.prev_hash, c.row_hash, c.ingested_at
FROM custody_events c
LEFT JOIN shipments s ON s.shipment_id = c.shipment_id
"""

VIEWS = {
    "v_shipment_status": V_SHIPMENT_STATUS,
    "v_excursion_kpis": V_EXCURSION_KPIS,
    "v_on_time": V_ON_TIME,
    "v_custody_timeline": V_CUSTODY_TIMELINE,
}


def upgrade() -> None:
    for sql in VIEWS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
