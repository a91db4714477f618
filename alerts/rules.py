"""RuleSet: the bands and bounds of one shipment, built from its profile and the config."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alerts.config import RuleConfig
from alerts.device import device_bands
from alerts.episodes import Band
from alerts.excursions import temperature_bands
from schemas.manifest import ShipmentManifest
from schemas.profiles import ProductProfile

__all__ = ["RuleSet", "rules_for"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything the reading rules need, resolved once per (profile, config, interval)."""

    bands: tuple[Band, ...]
    upper_c: float | None
    lower_c: float | None
    budget_s: float | None
    silent_after_s: float
    max_transit_s: float | None


@lru_cache(maxsize=256)
def _build(profile: ProductProfile, config: RuleConfig, interval_s: float) -> RuleSet:
    return RuleSet(
        bands=tuple(temperature_bands(profile) + device_bands(config)),
        upper_c=profile.upper_c,
        lower_c=profile.lower_c,
        budget_s=profile.cumulative_budget_s,
        silent_after_s=config.silent_factor * interval_s,
        max_transit_s=None if profile.max_transit_h is None else profile.max_transit_h * 3600.0,
    )


def rules_for(manifest: ShipmentManifest, config: RuleConfig) -> RuleSet:
    """The rule set of a shipment (cached: building it is not per-reading work)."""
    return _build(manifest.effective_profile, config, manifest.reporting_interval_s)
