"""Rule configuration: every device threshold and every bound of the per-shipment state."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alerts.eta_config import EtaConfig

__all__ = ["RuleConfig"]

_Positive = Annotated[float, Field(gt=0.0)]
_Count = Annotated[int, Field(ge=1)]


class RuleConfig(BaseModel):
    """Thresholds of the device rules and bounds of the per-shipment state.

    Temperature limits, delays, hysteresis, budgets and the maximum transit time come from
    the shipment's product profile (``ShipmentManifest.effective_profile``); everything
    here is about devices and about how much the state may hold.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    shock_g: _Positive = 10.0
    """A reading with ``shock_g`` at or above this many g is a shock (dewar drop ~10 g)."""
    tilt_deg: Annotated[float, Field(gt=0.0, le=180.0)] = 45.0
    """Tilt strictly past this angle from upright counts as tilted."""
    tilt_min_s: Annotated[float, Field(ge=0.0)] = 300.0
    """Tilted for at least this long (held until the next reading) raises ``tilt``."""
    low_battery_pct: Annotated[float, Field(ge=0.0, le=100.0)] = 20.0
    """A battery strictly below this percentage raises ``low_battery``."""
    silent_factor: _Positive = 2.0
    """``logger_silent`` after more than this many reporting intervals without a reading."""
    max_lateness_s: _Positive = 48 * 3600.0
    """A reading older than the newest one by more than this is dead-lettered ``too_late``."""
    max_readings_per_shipment: _Count = 1000
    """Readings kept (sorted by ``recorded_at``) to place late readings. Once there are more
    than this plus an eighth, the oldest are folded into a checkpoint down to this many; a
    reading sorting before the cut is dead-lettered ``too_late``."""
    max_episodes_per_shipment: _Count = 64
    """Alert episodes a shipment's state keeps (the rules' findings and the alerts sent for
    them). Once the rules hold more than this plus an eighth, the history is cut past the
    oldest settled ones (episodes resolved, sequence gaps), down to this many: no reading that
    could change them can be placed any more (a reading before the cut is dead-lettered
    ``too_late``), so their findings and last alert versions leave the state; their alert ids
    stay taken. Without it a logger flapping across a limit grew its state by an episode
    every other reading (1.5 MB at 1,800 readings, past Faust's 1,000,000-byte record)."""
    max_seen_event_ids: _Count = 4000
    """Event ids remembered per shipment for de-duplication (oldest forgotten first)."""
    max_custody_events: _Count = 500
    """Custody events kept per shipment; more are dead-lettered ``custody_overflow``."""
    max_pending_per_shipment: _Count = 500
    """Events held while the manifest has not arrived; more are ``pending_overflow``."""
    eta: EtaConfig = Field(default_factory=EtaConfig)
    """ETA rules: route, pace, dwell, spread and risk thresholds (``alerts.eta_config``)."""
    pending_max_age_s: _Positive = 24 * 3600.0
    """Held events older (by their own time) than the newest held event, or than the live
    clock given to ``tick``, by more than this are dead-lettered ``manifest_timeout``."""
