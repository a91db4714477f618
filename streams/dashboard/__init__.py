"""The read-only web dashboard over the warehouse views (issue 9)."""

from __future__ import annotations

from streams.dashboard.app import create_app
from streams.dashboard.reader import WarehouseReader
from streams.dashboard.warehouse import WarehouseBusy, WarehouseUnavailable, open_read_only

__all__ = [
    "WarehouseBusy",
    "WarehouseReader",
    "WarehouseUnavailable",
    "create_app",
    "open_read_only",
]
