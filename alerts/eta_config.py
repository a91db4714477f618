"""EtaConfig: route, speed, dwell, uncertainty and risk settings of the ETA rules."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["EtaConfig"]

_Positive = Annotated[float, Field(gt=0.0)]
_NonNegative = Annotated[float, Field(ge=0.0)]
_Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class EtaConfig(BaseModel):
    """Every threshold and default of the ETA rules (``alerts.eta``), with documented defaults.

    Route lengths: road legs are great-circle distance x the lane's detour factor; air legs
    take the carrier's schedule. Speeds are in road km per hour of the leg (so a lane's
    loading and traffic overhead is part of its speed once fixes are seen).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # route and speed
    detour_factor: Annotated[float, Field(ge=1.0)] = 1.3
    """Road km per great-circle km where the lane has no factor of its own."""
    lane_detour: dict[str, Annotated[float, Field(ge=1.0)]] = Field(default_factory=dict)
    """Per-lane detour factors, keyed ``"FROM_SITE>TO_SITE"`` (site ids of a leg)."""
    road_speed_kmh: _Positive = 72.0
    """Cruising road speed (road km/h) before any fix shows the lane's own pace."""
    road_leg_overhead_s: _NonNegative = 900.0
    """Loading, traffic and hand-over time added to every road leg's driving time."""
    speed_floor_ratio: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    """The smoothed speed never drops below this share of the lane's default pace."""
    speed_smoothing: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    """EWMA weight of the newest fix-to-fix progress speed."""
    stationary_radius_km: _Positive = 0.5
    """Fixes within this distance of the newest fix count as not moving."""
    stationary_min_s: _NonNegative = 600.0
    """Not moving for at least this long is a stop (or a dwell at a site)."""
    site_radius_km: _Positive = 2.0
    """A fix this close to a site's coordinates is at that site."""
    departing_scan_lead_s: _NonNegative = 300.0
    """A ``departing`` scan is taken about this long before the wheels roll."""
    departure_slip_s: _NonNegative = 300.0
    """Typical slip of a departure after its scheduled time."""
    min_connection_s: _NonNegative = 2700.0
    """Typical dwell at a transfer hub between arriving and leaving on the next leg."""
    max_fixes: Annotated[int, Field(ge=4)] = 24
    """Newest fixes kept per shipment for speed and stop detection."""

    # uncertainty: p90 = p50 + z * combined standard deviation (+ the skew of stops and
    # overdue dwells). The spreads are calibrated on simulated fleets so that about 90 % of
    # arrivals fall at or before p90 (``python benchmarks/eta_accuracy.py``).
    p90_z: _Positive = 1.2816
    """Standard scores between the median and the pessimistic ETA (1.28: 90th percentile)."""
    road_cv: _NonNegative = 0.0125
    """Relative spread of the remaining driving time once the lane's pace is measured."""
    road_prior_cv: _NonNegative = 0.025
    """Relative spread of driving time estimated from defaults (no moving fixes yet)."""
    air_cv: _NonNegative = 0.022
    """Relative spread of a scheduled flight's duration."""
    departure_sd_s: _NonNegative = 112.0
    """Spread of each departure around its expected time."""
    stop_p50_factor: _NonNegative = 1.0
    """A stop (or a dwell past its norm) so far ``d`` long is expected to last ``d`` more."""
    stop_p90_factor: _NonNegative = 4.0
    """... and, pessimistically, up to this many times ``d`` more."""
    stop_min_s: _NonNegative = 900.0
    """A stop is expected to last at least this long in all."""

    # updates
    min_shift_s: _NonNegative = 60.0
    """An update is published when p50 or p90 moves by at least this ..."""
    max_shift_s: _NonNegative = 300.0
    """... and at most this (a few minutes) ..."""
    shift_ratio: _Fraction = 0.03
    """... in between, this share of the time still to go."""

    # alerts
    late_alert_from: Annotated[str, Field(pattern="^(late_p90|late_p50)$")] = "late_p90"
    """Risk level that opens ``late_delivery_risk``: ``late_p90`` (pessimistic ETA past the
    promised end, severity warning; critical once the median passes too) or ``late_p50``."""
    risk_clear_margin_s: _NonNegative = 900.0
    """A risk clears only once the ETA is back this far inside its limit (no flapping)."""
    hold_derating: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7
    """Share of the rated static hold time counted on (the same model varies by up to 40 %)."""
    receipt_buffer_s: _NonNegative = 4 * 3600.0
    """Hold time that must remain at the pessimistic ETA for receipt and transfer to storage."""
    tilt_hold_loss_per_h: _NonNegative = 0.1
    """Share of the rated hold lost per hour tilted past the tilt angle ..."""
    tilt_hold_loss_max: _Fraction = 0.6
    """... up to this share (a shipper on its side loses up to 60 % within hours)."""
    tilt_max_gap_s: _Positive = 3600.0
    """A tilted reading counts until the next reading, but for at most this long."""
    dwell_grace_s: _NonNegative = 3600.0
    """Dwell at a site is exceeded this long after its scheduled (or typical) departure."""
    max_episodes: Annotated[int, Field(ge=1)] = 64
    """ETA alert episodes per shipment; past this no new one opens (bounds the state)."""
    batch_refresh_s: _NonNegative = 1800.0
    """Live workers estimate once per shipment and batch, and within a batch again once the
    event time has moved this far (a backlog of a whole trip still gets updates along it)."""

    def __hash__(self) -> int:
        """Hashable despite ``lane_detour`` (rule sets are cached by configuration)."""
        return hash(self.model_dump_json())
