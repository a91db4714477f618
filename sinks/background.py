"""A database write run on a worker thread in an open transaction, committed or rolled back later."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import sqlalchemy as sa

__all__ = ["BackgroundWrite"]

_T = TypeVar("_T")


class BackgroundWrite(Generic[_T]):
    """Runs ``write(connection)`` on its own thread inside a transaction left open for the caller.

    The caller does other work meanwhile (the database releases the GIL while it works), then
    calls exactly one of :meth:`commit` or :meth:`rollback`; both wait for the write first.
    The connection is used by the worker thread only until then, and closed by either call.
    """

    def __init__(self, engine: sa.Engine, write: Callable[[sa.Connection], _T]) -> None:
        self._connection = engine.connect()
        self._transaction = self._connection.begin()
        self._result: _T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(write,), name="warehouse-write", daemon=True
        )
        self._thread.start()

    def _run(self, write: Callable[[sa.Connection], _T]) -> None:
        try:
            self._result = write(self._connection)
        except BaseException as exc:  # handed to the caller by commit()
            self._error = exc

    def commit(self) -> _T:
        """Wait for the write and commit it; its error (or the commit's) is raised, rolled back."""
        self._thread.join()
        try:
            if self._error is not None:
                raise self._error
            self._transaction.commit()
            return self._result  # type: ignore[return-value]  # set: the write returned
        finally:
            self._connection.close()  # rolls back what was not committed

    def rollback(self) -> None:
        """Wait for the write and discard it (whether it succeeded or not)."""
        self._thread.join()
        self._connection.close()  # closing rolls the open transaction back
