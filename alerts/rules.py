"""RuleSet: the bands and bounds of one shipment, built from its profile and the config."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from alerts.config import RuleConfig
from alerts.device import device_bands
from alerts.episodes import Band
from alerts.excursions import temperature_bands
from alerts.manifest_cache import PerManifest
from schemas.manifest import ShipmentManifest
from schemas.profiles import ProductProfile

__all__ = ["HI", "LO", "RuleSet", "rules_for"]

HI = -1
"""Slot index meaning "the reading's upper temperature" (``temperature_max_c`` or ``temperature_c``)."""
LO = -2
"""Slot index meaning "the reading's lower temperature" (``temperature_min_c`` or ``temperature_c``)."""

_FIELDS = {"hi": HI, "lo": LO, "lid": 9, "tilt": 10, "shock": 11, "battery": 12}
"""Band field -> index into ``CompactReading`` (or HI / LO)."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Everything the reading rules need, resolved once per (profile, config, interval)."""

    bands: tuple[Band, ...]
    slots: tuple[tuple[str, Band, int], ...]
    """``(tracker key, band, reading field index)`` for every band, in folding order."""
    upper_c: float | None
    lower_c: float | None
    budget_s: float | None
    silent_after_s: float
    max_transit_s: float | None


@lru_cache(maxsize=256)
def _build(profile: ProductProfile, config: RuleConfig, interval_s: float) -> RuleSet:
    bands = tuple(temperature_bands(profile) + device_bands(config))
    return RuleSet(
        bands=bands,
        slots=tuple((f"{b.type}|{b.name}", b, _FIELDS[b.field]) for b in bands),
        upper_c=profile.upper_c,
        lower_c=profile.lower_c,
        budget_s=profile.cumulative_budget_s,
        silent_after_s=config.silent_factor * interval_s,
        max_transit_s=None if profile.max_transit_h is None else profile.max_transit_h * 3600.0,
    )


def rules_for(manifest: ShipmentManifest, config: RuleConfig) -> RuleSet:
    """The rule set of a shipment (cached per manifest: building it is not per-reading work;
    a table cleared past 4,096 entries made it 9 % of the processor's CPU at 10,000
    shipments, ``bench_pipeline_core.py --shipments 10000``)."""
    rules = _BY_MANIFEST.get(manifest, config)
    if rules is None:
        built = _build(manifest.effective_profile, config, manifest.reporting_interval_s)
        rules = _BY_MANIFEST.put(manifest, built, config)
    return rules


_BY_MANIFEST: PerManifest[RuleSet] = PerManifest("rules")
