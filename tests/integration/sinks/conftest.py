"""Every sink integration test runs on a real DuckDB file and a real PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sinks.writer import WarehouseSink

pytestmark = pytest.mark.integration


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty warehouse: a DuckDB temp file, or a new database on the real server."""
    fixture = "duckdb_url" if request.param == "duckdb" else "fresh_postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def sink(warehouse_url: str) -> Iterator[WarehouseSink]:
    """A migrated sink on the fresh warehouse, closed after the test."""
    warehouse = WarehouseSink(warehouse_url)
    yield warehouse
    warehouse.close(flush=False)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def module_warehouse_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like ``warehouse_url`` but shared by one module's tests (for read-only checks)."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path_factory.mktemp('warehouse') / 'warehouse.duckdb'}"
        return
    base = make_url(request.getfixturevalue("postgres_url"))
    name = f"m_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=base.host,
        port=base.port,
        user=base.username,
        password=base.password,
        dbname=base.database,
        autocommit=True,
    )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(
        host=base.host,
        port=base.port,
        user=base.username,
        password=base.password,
        dbname=base.database,
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
