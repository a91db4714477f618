"""Idempotent bulk upserts: stage a batch, then ``INSERT ... SELECT ... ON CONFLICT``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sinks.models import TABLES
from sinks.rows import Columns

__all__ = ["CONFLICTS", "Conflict", "merge_statement", "write_batch"]


@dataclass(frozen=True, slots=True)
class Conflict:
    """What a row does when its natural key is already stored.

    ``newer_when`` names a column: the stored row is replaced only when the incoming value
    is greater (``alerts.version``) or, with ``or_equal``, greater or equal
    (``shipments.created_at``: the latest manifest wins). ``None`` keeps the stored row.
    """

    keys: tuple[str, ...]
    newer_when: str | None = None
    or_equal: bool = False


CONFLICTS: dict[str, Conflict] = {
    "shipments": Conflict(("shipment_id",), "created_at", or_equal=True),
    "readings": Conflict(("event_id",)),
    "custody_events": Conflict(("event_id",)),
    "alerts": Conflict(("alert_id",), "version"),
    "alert_history": Conflict(("alert_id", "version")),
    "eta_updates": Conflict(("shipment_id", "computed_at")),
    "webhook_deliveries": Conflict(("delivery_id", "attempt")),
    "quarantine": Conflict(("quarantine_id",)),
    "deadletters": Conflict(("deadletter_id",)),
}
"""Natural key and conflict rule of every table."""


def merge_statement(dialect: sa.Dialect, table: sa.Table, source: str, names: list[str]) -> str:
    """``INSERT INTO table (names) SELECT CAST(...) FROM source ON CONFLICT ...`` for ``dialect``.

    Only identifiers from the table metadata are spliced in; values travel through the staged
    source, never through the SQL text.
    """
    quote = dialect.identifier_preparer.quote
    target = quote(table.name)
    column_list = ", ".join(quote(name) for name in names)
    casts = ", ".join(
        f"CAST({quote(name)} AS {table.c[name].type.compile(dialect=dialect)})" for name in names
    )
    conflict = CONFLICTS[table.name]
    keys = ", ".join(quote(key) for key in conflict.keys)
    sql = f"INSERT INTO {target} ({column_list}) SELECT {casts} FROM {quote(source)} "  # noqa: S608
    if conflict.newer_when is None:
        return sql + f"ON CONFLICT ({keys}) DO NOTHING"
    updates = ", ".join(
        f"{quote(name)} = EXCLUDED.{quote(name)}" for name in names if name not in conflict.keys
    )
    newer = quote(conflict.newer_when)
    operator = ">=" if conflict.or_equal else ">"
    return (
        sql
        + f"ON CONFLICT ({keys}) DO UPDATE SET {updates} "
        + f"WHERE EXCLUDED.{newer} {operator} {target}.{newer}"
    )


def write_batch(connection: sa.Connection, table_name: str, columns: Columns, frame: Any) -> None:
    """Upsert one table's batch on ``connection`` (inside the caller's transaction).

    DuckDB scans ``frame`` (a pandas frame of ``columns``) in place; PostgreSQL gets the rows
    by ``COPY`` into a temporary table dropped at commit.
    """
    names = list(columns)
    if not names or not columns[names[0]]:
        return
    table = TABLES[table_name]
    dialect = connection.dialect
    source = f"stage_{table_name}"
    if dialect.name == "duckdb":
        import pandas as pd  # type: ignore[import-untyped]

        staged = frame if frame is not None else pd.DataFrame(columns)
        raw: Any = connection.connection.driver_connection
        raw.register(source, staged)
        try:
            connection.exec_driver_sql(merge_statement(dialect, table, source, names))
        finally:
            raw.unregister(source)
        return
    if dialect.name == "postgresql":
        _copy_to_stage(connection, table, source, names, columns)
        connection.exec_driver_sql(merge_statement(dialect, table, source, names))
        connection.exec_driver_sql(f"DROP TABLE {dialect.identifier_preparer.quote(source)}")
        return
    raise NotImplementedError(f"no bulk upsert for dialect {dialect.name!r}")


_PG_BINARY_TYPES: dict[type[sa.types.TypeEngine[Any]], str] = {
    sa.Text: "text",
    sa.Double: "float8",
    sa.BigInteger: "int8",
    sa.Integer: "int4",
    sa.Boolean: "bool",
    sa.DateTime: "timestamptz",
}


def _pg_binary_type(column: sa.Column[Any]) -> str:
    return _PG_BINARY_TYPES[type(column.type)]


def _copy_to_stage(
    connection: sa.Connection, table: sa.Table, source: str, names: list[str], columns: Columns
) -> None:
    """Binary ``COPY`` of the batch into a temporary copy of ``table`` (dropped at commit)."""
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {quote(source)} "
        f"(LIKE {quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    column_list = ", ".join(quote(name) for name in names)
    raw: Any = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {quote(source)} ({column_list}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types([_pg_binary_type(table.c[name]) for name in names])
        for row in zip(*(columns[name] for name in names), strict=True):
            copy.write_row(row)
