"""Builders for the ETA rule tests: lanes, moving trucks, custody scans and a small driver."""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.custody_checks import CompactCustody
from alerts.eta import EtaResult, EtaState, observe, refresh
from alerts.eta_config import EtaConfig
from alerts.eta_track import haversine_km
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
"""Minute 0 of every built shipment."""
ORIGIN = ("HUB-A", 40.0, -80.0)
DEST = ("HOSP-B", 41.0, -80.0)
"""About 111 km due north: 144.6 road km with the default detour factor."""
ROAD_KM = haversine_km(ORIGIN[1], ORIGIN[2], DEST[1], DEST[2]) * 1.3
TILT_LIMIT = 45.0


def at(minute: float) -> datetime:
    """``T0`` plus ``minute`` minutes."""
    return T0 + timedelta(minutes=minute)


def ts(minute: float) -> float:
    """``at(minute)`` in epoch seconds."""
    return at(minute).timestamp()


def road_manifest(
    *,
    end_minute: float = 600,
    legs: list[dict[str, Any]] | None = None,
    shipper: dict[str, Any] | None = None,
) -> ShipmentManifest:
    """A hub-to-hospital shipment promised by ``end_minute``; one road leg at minute 60-210."""
    data: dict[str, Any] = {
        "shipment_id": "SHP-E1",
        "coi_id": "COI-E1",
        "product_profile": "cryo-150",
        "origin": {"site_id": ORIGIN[0], "role": "hub", "lat": ORIGIN[1], "lon": ORIGIN[2]},
        "destination": {"site_id": DEST[0], "role": "hospital", "lat": DEST[1], "lon": DEST[2]},
        "promised_window": {"start": at(0).isoformat(), "end": at(end_minute).isoformat()},
        "legs": legs if legs is not None else [road_leg(ORIGIN[0], DEST[0], 60, 210)],
        "created_at": at(-120).isoformat(),
    }
    if shipper is not None:
        data["shipper"] = shipper
    return ShipmentManifest.model_validate(data)


def road_leg(src: str, dst: str, dep_minute: float, arr_minute: float) -> dict[str, Any]:
    return {
        "mode": "road",
        "from_site": src,
        "to_site": dst,
        "scheduled_departure": at(dep_minute).isoformat(),
        "scheduled_arrival": at(arr_minute).isoformat(),
        "carrier": "CUR-1",
    }


def air_leg(src: str, dst: str, dep_minute: float, arr_minute: float) -> dict[str, Any]:
    return {**road_leg(src, dst, dep_minute, arr_minute), "mode": "air", "carrier": "AIR-1"}


def scan(minute: float, step: str, site: str, n: int = 0) -> CompactCustody:
    """A custody scan at ``site``."""
    return CompactCustody(
        ts(minute), f"CUS-{step}-{minute:g}-{n}", step, None, None, None, None, None, site, None
    )


def along(fraction: float) -> tuple[float, float]:
    """The point ``fraction`` of the way from the origin to the destination."""
    return (
        ORIGIN[1] + (DEST[1] - ORIGIN[1]) * fraction,
        ORIGIN[2] + (DEST[2] - ORIGIN[2]) * fraction,
    )


@dataclass
class Drive:
    """Feeds readings and scans to the ETA rules as the engine does, keeping every result."""

    manifest: ShipmentManifest
    config: EtaConfig = field(default_factory=EtaConfig)
    eta: EtaState = field(default_factory=EtaState)
    custody: list[CompactCustody] = field(default_factory=list)
    now: float = 0.0
    results: list[EtaResult] = field(default_factory=list)

    def fix(self, minute: float, where: tuple[float, float] | None, tilt: float = 2.0) -> EtaResult:
        lat, lon = where if where is not None else (None, None)
        observe(self.eta, ts(minute), lat, lon, tilt, self.config, tilt_limit_deg=TILT_LIMIT)
        return self._refresh(ts(minute))

    def scan(self, minute: float, step: str, site: str) -> EtaResult:
        insort(self.custody, scan(minute, step, site), key=lambda c: c.sort_key)
        return self._refresh(ts(minute))

    def _refresh(self, t: float) -> EtaResult:
        self.now = max(self.now, t)
        result = refresh(self.eta, self.manifest, self.custody, self.config, self.now)
        self.results.append(result)
        return result

    @property
    def updates(self) -> list[EtaUpdate]:
        return [r.update for r in self.results if r.update is not None]

    def alerts(self, kind: str) -> list[Any]:
        """Every version of the findings of ``kind`` that changed, in order (as snapshots)."""
        return [
            (f.anchor, f.opened_at, f.resolved_at, dict(f.details))
            for r in self.results
            for f in r.changed
            if f.type == kind
        ]


def drive_road(
    d: Drive, *, until_fraction: float = 1.0, start: float = 60, minutes: float = 150
) -> None:
    """Depart at ``start`` and drive at constant pace, a fix every 10 min (arrival excluded)."""
    d.fix(start - 10, along(0.0))
    d.scan(start - 2, "departing", ORIGIN[0])
    minute = start + 10
    while (minute - start) / minutes < min(until_fraction, 1.0):
        d.fix(minute, along((minute - start) / minutes))
        minute += 10
