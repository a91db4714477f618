"""The merge statements: conflict rules per table, compiled for both dialects."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from sinks.models import TABLES
from sinks.upsert import CONFLICTS, merge_statement

DIALECTS = [PGDialect_psycopg(), DuckDBDialect()]  # type: ignore[no-untyped-call]


def _names(table: str) -> list[str]:
    return [column.name for column in TABLES[table].columns]


def test_every_table_has_a_conflict_rule_on_its_primary_key() -> None:
    for name, table in TABLES.items():
        assert CONFLICTS[name].keys == tuple(c.name for c in table.primary_key.columns)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_readings_skip_stored_event_ids(dialect: sa.Dialect) -> None:
    sql = merge_statement(dialect, TABLES["readings"], "stage_readings", _names("readings"))
    assert sql.startswith("INSERT INTO readings (event_id, ")
    assert "FROM stage_readings" in sql
    assert sql.endswith("ON CONFLICT (event_id) DO NOTHING")
    assert "CAST(temperature_c AS DOUBLE PRECISION)" in sql


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_alerts_replace_only_older_versions(dialect: sa.Dialect) -> None:
    sql = merge_statement(dialect, TABLES["alerts"], "stage_alerts", _names("alerts"))
    assert "ON CONFLICT (alert_id) DO UPDATE SET" in sql
    assert "alert_id = EXCLUDED.alert_id" not in sql
    assert "status = EXCLUDED.status" in sql
    assert sql.endswith("WHERE EXCLUDED.version > alerts.version")


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_shipments_take_the_latest_manifest(dialect: sa.Dialect) -> None:
    sql = merge_statement(dialect, TABLES["shipments"], "stage_shipments", _names("shipments"))
    assert sql.endswith("WHERE EXCLUDED.created_at >= shipments.created_at")


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_without_conflict_checks_kept_rows_get_a_plain_insert(dialect: sa.Dialect) -> None:
    names = _names("readings")
    sql = merge_statement(
        dialect, TABLES["readings"], "stage_readings", names, check_conflicts=False
    )
    assert "ON CONFLICT" not in sql
    assert sql.endswith("FROM stage_readings")
    assert CONFLICTS["readings"].keeps_stored


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_replacing_tables_keep_their_conflict_rule_without_checks(dialect: sa.Dialect) -> None:
    for table, newer in (("alerts", "version"), ("shipments", "created_at")):
        sql = merge_statement(
            dialect, TABLES[table], f"stage_{table}", _names(table), check_conflicts=False
        )
        assert "DO UPDATE SET" in sql
        assert f"WHERE EXCLUDED.{newer}" in sql
        assert not CONFLICTS[table].keeps_stored
