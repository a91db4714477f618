"""Warehouse URL handling: supported backends, the psycopg mapping, DuckDB parent dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinks.engine import make_engine, normalize_url
from sinks.errors import UnsupportedWarehouse


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/w",
        "postgres://u:p@db:5432/w",
        "postgresql+psycopg://u:p@db:5432/w",
    ],
)
def test_postgresql_urls_use_psycopg3(url: str) -> None:
    parsed = normalize_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.port, parsed.database) == ("db", 5432, "w")


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql+psycopg2://u@h/db", "sqlite://"])
def test_other_backends_are_rejected(url: str) -> None:
    with pytest.raises(UnsupportedWarehouse):
        normalize_url(url)


def test_duckdb_engine_creates_the_parent_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "w.duckdb"
    engine = make_engine(f"duckdb:///{target}")
    try:
        assert target.parent.is_dir()
        assert engine.dialect.name == "duckdb"
    finally:
        engine.dispose()
