"""Exception hierarchy shared by every cryotrace package."""

from __future__ import annotations

__all__ = ["ConfigError", "CryotraceError", "DecodeError"]


class CryotraceError(Exception):
    """Root of every error raised on purpose by cryotrace code."""


class DecodeError(CryotraceError):
    """Input bytes or files could not be decoded into wire models."""


class ConfigError(CryotraceError):
    """Configuration (settings, subscriptions, profiles) is invalid."""
