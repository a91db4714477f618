"""Product temperature profiles (limits, delays, budgets) and the built-in set."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from schemas.base import WireModel

__all__ = ["BUILTIN_PROFILES", "ProductProfile"]

_Seconds = Annotated[float, Field(ge=0.0)]
_Limit = Annotated[float, Field(ge=-273.15, le=100.0)]


class ProductProfile(WireModel):
    """Thresholds that define an excursion for one product regime.

    Every field has a default so that a partial inline profile in a manifest can override
    only the fields it sets (see ``ShipmentManifest.effective_profile``).
    """

    name: Annotated[str, Field(min_length=1, max_length=64)] = "custom"
    upper_c: _Limit | None = None
    lower_c: _Limit | None = None
    warning_upper_c: _Limit | None = None
    warning_lower_c: _Limit | None = None
    alarm_delay_s: _Seconds = 0.0
    warning_delay_s: _Seconds = 0.0
    hysteresis_c: Annotated[float, Field(ge=0.0, le=50.0)] = 0.0
    cumulative_budget_s: _Seconds | None = None
    max_transit_h: Annotated[float, Field(gt=0.0)] | None = None

    @model_validator(mode="after")
    def _limits_ordered(self) -> Self:
        if self.upper_c is not None and self.lower_c is not None and self.lower_c >= self.upper_c:
            raise ValueError("lower_c must be below upper_c")
        if (
            self.warning_upper_c is not None
            and self.warning_lower_c is not None
            and self.warning_lower_c >= self.warning_upper_c
        ):
            raise ValueError("warning_lower_c must be below warning_upper_c")
        if (
            self.warning_upper_c is not None
            and self.upper_c is not None
            and self.warning_upper_c > self.upper_c
        ):
            raise ValueError("warning_upper_c must not be above upper_c")
        if (
            self.warning_lower_c is not None
            and self.lower_c is not None
            and self.warning_lower_c < self.lower_c
        ):
            raise ValueError("warning_lower_c must not be below lower_c")
        return self


def _builtin(*profiles: ProductProfile) -> dict[str, ProductProfile]:
    return {profile.name: profile for profile in profiles}


BUILTIN_PROFILES: dict[str, ProductProfile] = _builtin(
    ProductProfile(name="cryo-150", upper_c=-150, warning_upper_c=-160, hysteresis_c=2),
    ProductProfile(name="cryo-130", upper_c=-130, warning_upper_c=-140, hysteresis_c=2),
    ProductProfile(name="cryo-120", upper_c=-120, warning_upper_c=-130, hysteresis_c=2),
    ProductProfile(name="dry-ice", upper_c=-60, warning_upper_c=-65, hysteresis_c=2),
    ProductProfile(name="fridge-2-8", upper_c=8, lower_c=2, alarm_delay_s=900, hysteresis_c=0.5),
    ProductProfile(name="crt-15-25", upper_c=25, lower_c=15, alarm_delay_s=900, hysteresis_c=0.5),
)
"""The profiles of design.md, by name."""
