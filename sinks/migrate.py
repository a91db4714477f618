"""Run the Alembic migrations packaged in ``sinks/migrations`` against a warehouse."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl

from sinks.engine import make_engine

__all__ = [
    "MIGRATIONS_DIR",
    "DuckDBImpl",
    "alembic_config",
    "current_revision",
    "downgrade",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""The Alembic script directory shipped inside the package."""


class DuckDBImpl(DefaultImpl):
    """Alembic DDL implementation for DuckDB (registered for the ``duckdb`` dialect on import)."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def alembic_config(url: str | None = None) -> Config:
    """A programmatic Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(url_or_engine: str | sa.Engine, action: str, revision: str) -> None:
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def upgrade(url_or_engine: str | sa.Engine, revision: str = "head") -> None:
    """Migrate the warehouse up to ``revision`` (default: the newest)."""
    _run(url_or_engine, "upgrade", revision)


def downgrade(url_or_engine: str | sa.Engine, revision: str = "base") -> None:
    """Migrate the warehouse down to ``revision`` (default: empty)."""
    _run(url_or_engine, "downgrade", revision)


def current_revision(url_or_engine: str | sa.Engine) -> str | None:
    """The revision the warehouse is at, ``None`` when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()
