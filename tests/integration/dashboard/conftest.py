"""Dashboard fixtures: a known warehouse (DuckDB file or PostgreSQL) and a served dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_fixtures import KnownFleet, known_fleet, write_records

from streams.dashboard.app import create_app
from streams.dashboard.reader import WarehouseReader
from streams.dashboard.server import serving_in_thread


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse: a DuckDB file, or a fresh database on the real PostgreSQL."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@pytest.fixture
def known(warehouse_url: str) -> KnownFleet:
    """The known fleet written to ``warehouse_url``."""
    fleet = known_fleet()
    write_records(warehouse_url, fleet.records)
    return fleet


@pytest.fixture
def served(warehouse_url: str, known: KnownFleet) -> Iterator[str]:
    """The dashboard (no token) over the known fleet on 127.0.0.1, a free port."""
    reader = WarehouseReader(warehouse_url, busy_budget_s=2.0)
    with serving_in_thread(create_app(reader)) as base:
        yield base
