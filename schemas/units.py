"""Temperature unit conversion to degrees Celsius."""

from __future__ import annotations

__all__ = ["TEMPERATURE_UNITS", "to_celsius"]

_OFFSET_K = 273.15

TEMPERATURE_UNITS: dict[str, str] = {
    "C": "C",
    "CEL": "C",
    "°C": "C",
    "F": "F",
    "FAH": "F",
    "°F": "F",
    "K": "K",
    "KEL": "K",
}
"""Accepted unit spellings (wire letters and UN/CEFACT codes used by EPCIS) to C, F or K."""


def to_celsius(value: float, unit: str) -> float:
    """Convert ``value`` in ``unit`` (see ``TEMPERATURE_UNITS``) to °C, rounded to 1e-6.

    Raises ``ValueError`` for an unknown unit or a value beyond the float range.
    """
    canonical = TEMPERATURE_UNITS.get(unit.strip().upper())
    try:
        value = float(value)
    except OverflowError:
        raise ValueError("temperature value out of range") from None
    if canonical == "C":
        return value
    if canonical == "F":
        return round((value - 32.0) * 5.0 / 9.0, 6)
    if canonical == "K":
        return round(value - _OFFSET_K, 6)
    raise ValueError(f"unknown temperature unit {unit!r} (use C, F or K)")
