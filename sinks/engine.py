"""SQLAlchemy engines for the supported warehouses: DuckDB files and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from sinks.errors import UnsupportedWarehouse

__all__ = ["DEFAULT_WAREHOUSE_URL", "make_engine", "normalize_url"]

DEFAULT_WAREHOUSE_URL = "duckdb:///data/warehouse.duckdb"
"""The embedded default: a DuckDB file under the working directory."""


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``, map ``postgresql://`` / ``postgres://`` to psycopg 3, reject the rest."""
    text = str(url) if isinstance(url, URL) else url
    if text.startswith("postgres://"):
        text = "postgresql://" + text.removeprefix("postgres://")
    parsed = url if isinstance(url, URL) and text == str(url) else make_url(text)
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgresql":
        if driver not in ("", "psycopg"):
            raise UnsupportedWarehouse(
                f"PostgreSQL driver {driver!r} is not supported; use psycopg"
            )
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "duckdb":
        return parsed
    raise UnsupportedWarehouse(f"warehouse {backend!r} is not supported (duckdb or postgresql)")


def make_engine(url: str | URL) -> sa.Engine:
    """An engine for ``url``; a DuckDB file's parent directory is created if missing."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "duckdb":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("md:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True)
