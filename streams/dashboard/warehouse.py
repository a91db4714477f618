"""Read-only warehouse connections: DuckDB ``read_only`` with lock backoff, PostgreSQL read-only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from schemas.errors import CryotraceError
from sinks.engine import normalize_url

__all__ = [
    "WarehouseBusy",
    "WarehouseUnavailable",
    "is_lock_conflict",
    "open_read_only",
    "retry_while_locked",
]

T = TypeVar("T")


class WarehouseUnavailable(CryotraceError):
    """The warehouse cannot be read (missing file, no dashboard views, server down)."""


class WarehouseBusy(WarehouseUnavailable):
    """A DuckDB file stayed locked by its writing process for the whole retry budget."""


def open_read_only(url: str) -> sa.Engine:
    """An engine that can only read ``url``.

    DuckDB: every checkout opens the file with ``read_only=True`` and closes it on return
    (``NullPool``), so the dashboard holds the file only while a request runs and never
    keeps a writer out for longer. PostgreSQL: sessions start with
    ``default_transaction_read_only=on``; a small pool with pre-ping.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "duckdb":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise WarehouseUnavailable("the dashboard needs a DuckDB file, not an in-memory one")
        return sa.create_engine(parsed, connect_args={"read_only": True}, poolclass=NullPool)
    return sa.create_engine(
        parsed,
        connect_args={"options": "-c default_transaction_read_only=on"},
        pool_pre_ping=True,
        pool_size=4,
        max_overflow=4,
    )


def is_lock_conflict(exc: BaseException) -> bool:
    """True for DuckDB's "Could not set lock on file" (another process writes the file)."""
    return "could not set lock" in str(exc).lower() or "conflicting lock" in str(exc).lower()


def retry_while_locked(
    call: Callable[[], T],
    *,
    budget_s: float = 5.0,
    first_delay_s: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``call``; while DuckDB reports a lock conflict retry with doubling delays.

    Raises :class:`WarehouseBusy` once ``budget_s`` is spent. Any other database error is
    turned into :class:`WarehouseUnavailable` with its first line (no URL, no password).
    """
    deadline = clock() + budget_s
    delay = first_delay_s
    while True:
        try:
            return call()
        except sa.exc.DBAPIError as exc:
            if not is_lock_conflict(exc):
                raise WarehouseUnavailable(_first_line(exc)) from exc
            remaining = deadline - clock()
            if remaining <= 0:
                raise WarehouseBusy(
                    "the DuckDB warehouse is locked by its writing process (the warehouse sink); "
                    "DuckDB lets one process write a file and no other process read it meanwhile. "
                    "Retry when the sink is idle, or use PostgreSQL for a live dashboard."
                ) from exc
            sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)


_MISSING_HINT = (
    " (the warehouse or its dashboard views do not exist yet: let the warehouse sink create "
    "them first, e.g. `cryotrace demo` or `cryotrace replay FILE --out DIR --warehouse URL`)"
)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    original = exc.orig if exc.orig is not None else exc
    lines = str(original).strip().splitlines()
    text = f"{type(original).__name__}: {lines[0] if lines else ''}"
    return text + _MISSING_HINT if "does not exist" in text else text
