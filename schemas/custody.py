"""Chain-of-custody event: one step or handoff of a shipment between parties."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, field_validator

from schemas.base import Identifier, WireModel
from schemas.cbv import CUSTODY_STEPS, cbv_name
from schemas.timestamps import Timestamp

__all__ = ["CUSTODY_STEPS", "CustodyEvent", "Party", "Signature"]


def _bare_cbv(value: Any) -> Any:
    return cbv_name(value) if isinstance(value, str) else value


class Party(WireModel):
    """A party holding or handing over custody (hospital, courier, hub, airline ...)."""

    party_id: Identifier
    role: Identifier | None = None


class Signature(WireModel):
    """An electronic signature (21 CFR Part 11 §11.50: name, time and meaning)."""

    name: Identifier
    meaning: Identifier
    signed_at: Timestamp


class CustodyEvent(WireModel):
    """A CBV business step in the chain of custody; with a ``to_party`` it is a handoff."""

    event_id: Identifier
    shipment_id: Identifier
    coi_id: Identifier | None = None
    occurred_at: Timestamp
    step: Annotated[str, BeforeValidator(_bare_cbv)]
    from_party: Party | None = None
    to_party: Party | None = None
    site_id: Identifier | None = None
    seal_id: Identifier | None = None
    logger_id: Identifier | None = None
    condition: Annotated[Identifier | None, BeforeValidator(_bare_cbv)] = None
    signature: Signature | None = None

    @field_validator("step")
    @classmethod
    def _known_step(cls, step: str) -> str:
        if step not in CUSTODY_STEPS:
            allowed = ", ".join(sorted(CUSTODY_STEPS))
            raise ValueError(f"step {step!r} is not a CBV custody step ({allowed})")
        return step

    @property
    def is_handoff(self) -> bool:
        """True when the event names the party receiving custody."""
        return self.to_party is not None
