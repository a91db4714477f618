"""The packaged Alembic migrations go up and down on DuckDB and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sinks.engine import make_engine
from sinks.migrate import current_revision, downgrade, upgrade
from sinks.models import metadata

pytestmark = pytest.mark.integration

VIEWS = {"v_shipment_status", "v_excursion_kpis", "v_on_time", "v_custody_timeline"}


def _schema(engine: sa.Engine) -> tuple[dict[str, set[str]], set[str]]:
    inspector = sa.inspect(engine)
    tables = {
        name: {column["name"] for column in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }
    return tables, set(inspector.get_view_names())


def _primary_keys(engine: sa.Engine) -> dict[str, set[str]]:
    """Primary key columns per table from information_schema (DuckDB has no pg_constraint)."""
    query = sa.text(
        "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu "
        "ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name "
        "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_name <> 'alembic_version' "
        "AND tc.table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    keys: dict[str, set[str]] = {}
    with engine.connect() as connection:
        for table, column in connection.execute(query):
            keys.setdefault(table, set()).add(column)
    return keys


def test_upgrade_creates_the_modelled_tables_and_the_views(warehouse_url: str) -> None:
    upgrade(warehouse_url)
    engine = make_engine(warehouse_url)
    try:
        tables, views = _schema(engine)
        assert tables == {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
        assert views >= VIEWS
        assert _primary_keys(engine) == {
            t.name: {c.name for c in t.primary_key.columns} for t in metadata.sorted_tables
        }
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(warehouse_url: str) -> None:
    upgrade(warehouse_url)
    head = current_revision(warehouse_url)
    downgrade(warehouse_url, "0001_tables")
    engine = make_engine(warehouse_url)
    try:
        tables, views = _schema(engine)
        assert not (VIEWS & views)
        assert set(tables) == {t.name for t in metadata.sorted_tables}
        downgrade(warehouse_url, "base")
        assert current_revision(warehouse_url) is None
        tables, views = _schema(engine)
        assert tables == {}
        assert not (VIEWS & views)
        upgrade(warehouse_url)
        assert current_revision(warehouse_url) == head
        tables, views = _schema(engine)
        assert set(tables) == {t.name for t in metadata.sorted_tables}
        assert views >= VIEWS
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(warehouse_url: str) -> None:
    upgrade(warehouse_url)
    upgrade(warehouse_url)
    assert current_revision(warehouse_url) == "0002_views"
