"""Errors raised by the warehouse sink."""

from __future__ import annotations

from schemas.errors import CryotraceError

__all__ = ["SinkUnavailable", "UnsupportedWarehouse"]


class SinkUnavailable(CryotraceError):
    """The warehouse did not accept a flush before the retry deadline passed."""


class UnsupportedWarehouse(CryotraceError):
    """The warehouse URL names a database the sink does not support."""
