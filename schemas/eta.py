"""ETA update: median and pessimistic arrival estimates for one shipment."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, model_validator

from schemas.base import Identifier, WireModel
from schemas.timestamps import Timestamp

__all__ = ["ETA_RISKS", "EtaUpdate"]

ETA_RISKS: frozenset[str] = frozenset({"on_time", "late_p90", "late_p50", "unknown"})
"""Usual values of ``EtaUpdate.risk`` (not enforced)."""


class EtaUpdate(WireModel):
    """An ETA window recomputed from the latest fixes."""

    shipment_id: Identifier
    computed_at: Timestamp
    eta_p50: Timestamp
    eta_p90: Timestamp
    remaining_km: Annotated[float, Field(ge=0.0)] | None = None
    speed_kmh: Annotated[float, Field(ge=0.0)] | None = None
    promised_end: Timestamp | None = None
    risk: Identifier
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _p90_not_before_p50(self) -> Self:
        if self.eta_p90 < self.eta_p50:
            raise ValueError("eta_p90 is before eta_p50")
        return self
