"""WarehouseReader: every query the dashboard runs, parameterised, through one read-only engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from sinks.audit import verify_rows
from streams.dashboard.limits import effective_profile
from streams.dashboard.views import (
    ALERT_HISTORY,
    ALERTS,
    CUSTODY_TIMELINE,
    ETA_UPDATES,
    EXCURSION_KPIS,
    ON_TIME,
    READINGS,
    SHIPMENT_STATUS,
    SHIPMENTS,
)
from streams.dashboard.warehouse import open_read_only, retry_while_locked

__all__ = ["FleetFilter", "WarehouseReader"]

T = TypeVar("T")
Row = dict[str, Any]

MAX_FLEET_ROWS = 2000
"""The fleet overview lists at most this many shipments (most urgent first)."""
MAX_READINGS = 20_000
"""A shipment page loads at most this many of the latest readings."""

_PERSONAL_COLUMNS = frozenset({"signer_name"})
"""Columns read for the hash check but never shown or returned (staff names)."""

_STATE_ORDER = sa.case(
    {"in_transit": 0, "booked": 1, "delivered": 2}, value=SHIPMENT_STATUS.c.state, else_=3
)


@dataclass(frozen=True, slots=True)
class FleetFilter:
    """The fleet overview's filters; ``None`` means any."""

    hub: str | None = None
    lane: str | None = None
    hospital: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The filters by name."""
        return asdict(self)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def _row(mapping: Mapping[Any, Any]) -> Row:
    return {key: _utc(value) for key, value in mapping.items()}


class WarehouseReader:
    """Reads the warehouse for the dashboard; every method is blocking (run it in a thread).

    Each call checks a connection out for its whole unit of work and returns plain dicts
    (timestamps as UTC ``datetime``). With DuckDB a call retries while the writing process
    holds the file lock, for up to ``busy_budget_s``, then raises ``WarehouseBusy``.
    """

    def __init__(self, url: str, *, busy_budget_s: float = 5.0) -> None:
        self.engine = open_read_only(url)
        self.busy_budget_s = busy_budget_s

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @property
    def backend(self) -> str:
        """``duckdb`` or ``postgresql``."""
        return self.engine.url.get_backend_name()

    def _run(self, work: Callable[[sa.Connection], T]) -> T:
        def attempt() -> T:
            with self.engine.connect() as connection:
                return work(connection)

        return retry_while_locked(attempt, budget_s=self.busy_budget_s)

    # -- queries --------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``WarehouseUnavailable`` unless the dashboard views can be read."""

        def work(connection: sa.Connection) -> None:
            connection.execute(sa.select(sa.func.count()).select_from(SHIPMENT_STATUS)).one()

        self._run(work)

    def filter_options(self) -> dict[str, list[str]]:
        """Distinct hubs, lanes and hospitals for the fleet filters."""
        s = SHIPMENTS.c

        def work(connection: sa.Connection) -> dict[str, list[str]]:
            def distinct(query: sa.Select[Any]) -> list[str]:
                return sorted({value for (value,) in connection.execute(query) if value})

            hospitals = sa.union(
                sa.select(s.origin_site_id).where(s.origin_role == "hospital"),
                sa.select(s.destination_site_id).where(s.destination_role == "hospital"),
            )
            return {
                "hub": distinct(sa.select(s.hub_site_id).distinct()),
                "lane": distinct(sa.select(s.lane).distinct()),
                "hospital": distinct(sa.select(hospitals.subquery().c[0])),
            }

        return self._run(work)

    def shipments(self, where: FleetFilter = FleetFilter()) -> list[Row]:
        """The fleet: one status row per shipment, most urgent first, filtered."""
        v = SHIPMENT_STATUS.c
        query = sa.select(SHIPMENT_STATUS)
        if where.hub:
            query = query.where(v.hub_site_id == where.hub)
        if where.lane:
            query = query.where(v.lane == where.lane)
        if where.hospital:
            query = query.where(
                sa.or_(v.origin_site_id == where.hospital, v.destination_site_id == where.hospital)
            )
        query = query.order_by(
            v.open_critical_alerts.desc(),
            v.open_alerts.desc(),
            _STATE_ORDER,
            v.promised_end,
            v.shipment_id,
        ).limit(MAX_FLEET_ROWS)

        def work(connection: sa.Connection) -> list[Row]:
            return [_row(r) for r in connection.execute(query).mappings()]

        return self._run(work)

    def shipment(self, shipment_id: str) -> Row | None:
        """Everything the shipment page shows, or ``None`` for an unknown shipment."""

        def work(connection: sa.Connection) -> Row | None:
            manifest = (
                connection.execute(
                    sa.select(SHIPMENTS).where(SHIPMENTS.c.shipment_id == shipment_id)
                )
                .mappings()
                .first()
            )
            if manifest is None:
                return None
            status = (
                connection.execute(
                    sa.select(SHIPMENT_STATUS).where(SHIPMENT_STATUS.c.shipment_id == shipment_id)
                )
                .mappings()
                .one()
            )
            return {
                "manifest": _row(manifest),
                "status": _row(status),
                "readings": self._readings(connection, shipment_id),
                "custody": self._custody(connection, shipment_id),
                "alerts": self._alerts(connection, ALERTS, shipment_id),
                "alert_history": self._alerts(connection, ALERT_HISTORY, shipment_id),
                "eta": [
                    _row(r)
                    for r in connection.execute(
                        sa.select(ETA_UPDATES)
                        .where(ETA_UPDATES.c.shipment_id == shipment_id)
                        .order_by(ETA_UPDATES.c.computed_at)
                    ).mappings()
                ],
            }

        detail = self._run(work)
        if detail is None:
            return None
        manifest = detail["manifest"]
        detail["profile"] = effective_profile(
            manifest["product_profile"], manifest.get("profile_json")
        )
        rows = detail.pop("custody")
        broken = verify_rows(rows)
        detail["custody"] = [
            {k: v for k, v in row.items() if k not in _PERSONAL_COLUMNS} for row in rows
        ]
        detail["chain"] = {
            "ok": not broken,
            "links": len(rows),
            "broken": [asdict(link) for link in broken],
        }
        return detail

    def kpis(self) -> dict[str, list[Row]]:
        """``v_excursion_kpis`` and ``v_on_time`` rows, by dimension then value."""

        def work(connection: sa.Connection) -> dict[str, list[Row]]:
            def rows(view: sa.TableClause) -> list[Row]:
                query = sa.select(view).order_by(view.c.dimension, view.c.dimension_value)
                return [_row(r) for r in connection.execute(query).mappings()]

            return {"excursions": rows(EXCURSION_KPIS), "on_time": rows(ON_TIME)}

        return self._run(work)

    # -- pieces of the shipment page ---------------------------------------------------------

    @staticmethod
    def _readings(connection: sa.Connection, shipment_id: str) -> list[Row]:
        r = READINGS.c
        latest = (
            sa.select(
                r.event_id,
                r.recorded_at,
                r.temperature_c,
                r.temperature_min_c,
                r.temperature_max_c,
                r.lat,
                r.lon,
                r.lid_open,
                r.battery_pct,
            )
            .where(r.shipment_id == shipment_id)
            .order_by(r.recorded_at.desc(), r.event_id.desc())
            .limit(MAX_READINGS)
        )
        rows = [_row(row) for row in connection.execute(latest).mappings()]
        rows.reverse()
        return rows

    @staticmethod
    def _custody(connection: sa.Connection, shipment_id: str) -> list[Row]:
        query = (
            sa.select(CUSTODY_TIMELINE)
            .where(CUSTODY_TIMELINE.c.shipment_id == shipment_id)
            .order_by(CUSTODY_TIMELINE.c.chain_index)
        )
        return [_row(r) for r in connection.execute(query).mappings()]

    @staticmethod
    def _alerts(connection: sa.Connection, table: sa.Table, shipment_id: str) -> list[Row]:
        query = (
            sa.select(table)
            .where(table.c.shipment_id == shipment_id)
            .order_by(table.c.opened_at, table.c.alert_id, table.c.version)
        )
        return [_row(r) for r in connection.execute(query).mappings()]
