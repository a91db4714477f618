"""Common pydantic base class and reusable field types for wire models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["Identifier", "Latitude", "Longitude", "TemperatureC", "WireModel"]


class WireModel(BaseModel):
    """Immutable wire model: unknown fields ignored, NaN and infinities rejected."""

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


Identifier = Annotated[str, StringConstraints(min_length=1, max_length=256)]
"""A non-empty identifier (shipment, event, party, site ...)."""

Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]

TemperatureC = Annotated[float, Field(ge=-273.15, le=100.0)]
"""A temperature in degrees Celsius, between absolute zero and +100 °C."""
