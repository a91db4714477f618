"""Idempotent bulk upserts: stage a batch, then ``INSERT ... SELECT ... ON CONFLICT``.

Or, when no stored key is expected, a plain bulk insert that fails on one (see
:func:`write_batch`).
"""

from __future__ import annotations

import contextlib
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

    @property
    def keeps_stored(self) -> bool:
        """A stored row always wins (``DO NOTHING``): a plain insert may stand in."""
        return self.newer_when is None


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


def merge_statement(
    dialect: sa.Dialect,
    table: sa.Table,
    source: str,
    names: list[str],
    *,
    check_conflicts: bool = True,
) -> str:
    """``INSERT INTO table (names) SELECT CAST(...) FROM source ON CONFLICT ...`` for ``dialect``.

    With ``check_conflicts=False`` a table that keeps its stored rows gets no ``ON CONFLICT``
    clause: a stored key then fails the statement. Only identifiers from the table metadata
    are spliced in; values travel through the staged source, never through the SQL text.
    """
    quote = dialect.identifier_preparer.quote
    target = quote(table.name)
    column_list = ", ".join(quote(name) for name in names)
    casts = ", ".join(
        f"CAST({quote(name)} AS {table.c[name].type.compile(dialect=dialect)})" for name in names
    )
    conflict = CONFLICTS[table.name]
    keys = ", ".join(quote(key) for key in conflict.keys)
    sql = f"INSERT INTO {target} ({column_list}) SELECT {casts} FROM {quote(source)}"  # noqa: S608
    if conflict.keeps_stored and not check_conflicts:
        return sql
    sql += " "
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


def write_batch(
    connection: sa.Connection,
    table_name: str,
    columns: Columns,
    frame: Any,
    *,
    check_conflicts: bool = True,
) -> int:
    """Upsert one table's batch on ``connection`` (inside the caller's transaction).

    DuckDB scans ``frame`` (a pandas frame of ``columns``; built by
    :func:`sinks.frames.typed_frame` when ``None``) in place; PostgreSQL gets the rows
    by ``COPY`` into a temporary table dropped at commit. Returns the rows the database
    wrote (inserted or replaced; stored rows skipped by ``DO NOTHING`` are not counted).

    ``check_conflicts=False`` is the fast path for a batch expected to hold no stored key:
    tables that keep stored rows get a plain insert (PostgreSQL: ``COPY`` straight into the
    table, no staging), which raises :class:`sqlalchemy.exc.IntegrityError` on a stored key
    and so aborts the transaction; the caller then writes the batch again with
    ``check_conflicts=True``. ``ON CONFLICT`` costs DuckDB more the larger the table grows
    (a plain insert stays flat) and PostgreSQL a third of its server time.
    """
    names = list(columns)
    if not names or not columns[names[0]]:
        return 0
    table = TABLES[table_name]
    dialect = connection.dialect
    source = f"stage_{table_name}"
    if dialect.name == "duckdb":
        import duckdb

        from sinks.frames import typed_frame

        staged = frame if frame is not None else typed_frame(table_name, columns)
        raw: Any = connection.connection.driver_connection
        sql = merge_statement(dialect, table, source, names, check_conflicts=check_conflicts)
        raw.register(source, staged)
        try:
            written = int(connection.exec_driver_sql(sql).rowcount)
        except BaseException:
            # a failed statement aborts the transaction, and unregistering then fails too:
            # the registration is rolled back with it, and the first error is the one to see
            with contextlib.suppress(duckdb.Error):
                raw.unregister(source)
            raise
        raw.unregister(source)
        return written
    if dialect.name == "postgresql":
        if CONFLICTS[table_name].keeps_stored and not check_conflicts:
            _copy_rows(connection, table, table.name, names, columns)
            return len(columns[names[0]])
        _stage_like(connection, table, source)
        _copy_rows(connection, table, source, names, columns)
        sql = merge_statement(dialect, table, source, names, check_conflicts=check_conflicts)
        written = int(connection.exec_driver_sql(sql).rowcount)
        connection.exec_driver_sql(f"DROP TABLE {dialect.identifier_preparer.quote(source)}")
        return written
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


def _stage_like(connection: sa.Connection, table: sa.Table, source: str) -> None:
    """A temporary, empty copy of ``table`` named ``source``, dropped at commit."""
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {quote(source)} "
        f"(LIKE {quote(table.name)} INCLUDING DEFAULTS) ON COMMIT DROP"
    )


def _copy_rows(
    connection: sa.Connection, table: sa.Table, target: str, names: list[str], columns: Columns
) -> None:
    """Binary ``COPY`` of the batch into ``target`` (``table`` or a staging copy of it).

    The driver's errors come out as SQLAlchemy's (``IntegrityError``, ``OperationalError``
    ...), as if the ``COPY`` had gone through SQLAlchemy, so callers handle one family.
    """
    quote = connection.dialect.identifier_preparer.quote
    column_list = ", ".join(quote(name) for name in names)
    statement = f"COPY {quote(target)} ({column_list}) FROM STDIN (FORMAT BINARY)"
    raw: Any = connection.connection.driver_connection
    driver_error: type[Exception] = connection.dialect.loaded_dbapi.Error
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([_pg_binary_type(table.c[name]) for name in names])
            for row in zip(*(columns[name] for name in names), strict=True):
                copy.write_row(row)
    except driver_error as exc:
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, driver_error, dialect=connection.dialect
        ) from exc
