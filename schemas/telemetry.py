"""Telemetry reading from a shipper data logger (temperature, position, lid, tilt ...)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, model_validator

from schemas.base import Identifier, Latitude, Longitude, TemperatureC, WireModel
from schemas.timestamps import Timestamp
from schemas.units import to_celsius

__all__ = ["Location", "TelemetryReading"]

_TEMPERATURE_TOLERANCE_C = 0.01
MAX_SEQ = 2**63 - 1
"""Largest logger sequence number (a signed 64-bit integer, as stored in the warehouse)."""


class Location(WireModel):
    """A GPS fix."""

    lat: Latitude
    lon: Longitude
    accuracy_m: Annotated[float, Field(ge=0.0)] | None = None


def _document_temperature_input(schema: dict[str, Any]) -> None:
    """Describe the accepted ``temperature: {value, unit}`` input form in the JSON Schema."""
    properties = schema.setdefault("properties", {})
    properties["temperature"] = {
        "description": "alternative to temperature_c; converted to temperature_c on input",
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "value": {"type": "number"},
                    "unit": {"enum": ["C", "F", "K"], "default": "C"},
                },
                "required": ["value"],
            },
            {"type": "null"},
        ],
    }


class TelemetryReading(WireModel):
    """One logger reading, normalised: temperatures are always in °C."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        allow_inf_nan=False,
        json_schema_extra=_document_temperature_input,
    )

    event_id: Identifier
    shipment_id: Identifier
    logger_id: Identifier | None = None
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ)] | None = None
    recorded_at: Timestamp
    temperature_c: TemperatureC | None = None
    temperature_min_c: TemperatureC | None = None
    temperature_max_c: TemperatureC | None = None
    location: Location | None = None
    lid_open: bool | None = None
    tilt_deg: Annotated[float, Field(ge=0.0, le=180.0)] | None = None
    shock_g: Annotated[float, Field(ge=0.0)] | None = None
    battery_pct: Annotated[float, Field(ge=0.0, le=100.0)] | None = None
    ambient_c: TemperatureC | None = None

    @model_validator(mode="before")
    @classmethod
    def _normalise_temperature(cls, data: Any) -> Any:
        """Replace ``temperature: {value, unit}`` by ``temperature_c``."""
        if not isinstance(data, dict) or "temperature" not in data:
            return data
        given = data["temperature"]
        if given is None:
            return data
        if not isinstance(given, dict):
            raise ValueError("temperature must be an object {value, unit}")
        value, unit = given.get("value"), given.get("unit", "C")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("temperature needs a numeric value and a unit C, F or K")
        if not isinstance(unit, str):
            raise ValueError("temperature needs a numeric value and a unit C, F or K")
        celsius = to_celsius(value, unit)
        explicit = data.get("temperature_c")
        if isinstance(explicit, int | float) and abs(explicit - celsius) > _TEMPERATURE_TOLERANCE_C:
            raise ValueError("temperature and temperature_c disagree")
        normalised = dict(data)
        del normalised["temperature"]
        normalised["temperature_c"] = celsius
        return normalised

    @model_validator(mode="after")
    def _min_below_max(self) -> Self:
        low, high = self.temperature_min_c, self.temperature_max_c
        if low is not None and high is not None and low > high:
            raise ValueError("temperature_min_c is above temperature_max_c")
        return self
