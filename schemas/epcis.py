"""EPCIS 2.0 adapter: ObjectEvents with sensor data or custody steps to cryotrace events."""

from __future__ import annotations

from typing import Any

from schemas.errors import DecodeError

__all__ = ["EpcisError", "epcis_events"]


class EpcisError(DecodeError):
    """An EPCIS message cryotrace cannot use; ``reason`` is the dead-letter reason."""

    def __init__(self, reason: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []


def epcis_events(document: dict[str, Any]) -> list[Any]:
    """Placeholder until the adapter lands."""
    raise EpcisError("epcis_unsupported")
