"""Turns reader rows into what the pages show: formatted times, chart inputs, KPI bars."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from schemas.profiles import ProductProfile
from streams.dashboard.charts import Bar, Limit, Period, Point, Site

__all__ = [
    "alert_markers",
    "details",
    "duration",
    "eta_delta",
    "excursion_periods",
    "kpi_bars",
    "profile_limits",
    "route_fixes",
    "route_sites",
    "temperature_points",
    "timestamp",
]

Row = Mapping[str, Any]


def timestamp(value: datetime | None) -> str:
    """``2026-11-29 20:05Z`` or an em dash."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%MZ")


def duration(seconds: float | None) -> str:
    """``1d 2h``, ``3h 05m``, ``12m`` or ``40s`` (sign dropped), em dash for none."""
    if seconds is None:
        return "—"
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def eta_delta(seconds: float | None) -> tuple[str, str]:
    """Text and CSS class of an ETA against the promised end: late, early or none."""
    if seconds is None:
        return "no ETA yet", "none"
    if seconds > 0:
        return f"{duration(seconds)} late", "late"
    return f"{duration(seconds)} early", "early"


def temperature_points(readings: Iterable[Row]) -> list[Point]:
    """(time, °C) of every reading with a temperature; an interval summary counts its maximum."""
    points: list[Point] = []
    for r in readings:
        value = r.get("temperature_c")
        if value is None:
            value = r.get("temperature_max_c")
        if value is not None:
            points.append((r["recorded_at"], float(value)))
    return points


def profile_limits(profile: ProductProfile | None) -> list[Limit]:
    """The alarm and warning lines of a profile."""
    if profile is None:
        return []
    candidates: list[tuple[float | None, Any, Any]] = [
        (profile.upper_c, "alarm", "upper"),
        (profile.lower_c, "alarm", "lower"),
        (profile.warning_upper_c, "warning", "upper"),
        (profile.warning_lower_c, "warning", "lower"),
    ]
    return [Limit(value, kind, side) for value, kind, side in candidates if value is not None]


_PERIOD_KINDS = {"temperature_excursion": "excursion", "temperature_warning": "warning"}


def excursion_periods(alerts: Iterable[Row], last_reading_at: datetime | None) -> list[Period]:
    """Shaded spans of temperature alerts: ``opened_at`` until resolved (or until now-ish)."""
    periods: list[Period] = []
    for alert in alerts:
        kind = _PERIOD_KINDS.get(alert["alert_type"])
        if kind is None:
            continue
        end = alert.get("resolved_at")
        if end is None:
            end = max(filter(None, (alert["updated_at"], last_reading_at)))
        label = f"{alert['alert_type']} {timestamp(alert['opened_at'])} – {timestamp(end)}"
        periods.append(Period(alert["opened_at"], end, kind, label))  # type: ignore[arg-type]
    return periods


def route_fixes(readings: Iterable[Row]) -> list[tuple[float, float]]:
    """(lat, lon) of every reading with a location, in time order."""
    return [
        (float(r["lat"]), float(r["lon"]))
        for r in readings
        if r.get("lat") is not None and r.get("lon") is not None
    ]


def route_sites(manifest: Row) -> list[Site]:
    """The origin and destination of a shipment, where their coordinates are known."""
    sites: list[Site] = []
    for kind in ("origin", "destination"):
        lat, lon = manifest.get(f"{kind}_lat"), manifest.get(f"{kind}_lon")
        if lat is not None and lon is not None:
            sites.append(Site(manifest[f"{kind}_site_id"], float(lat), float(lon), kind))
    return sites


def alert_markers(alerts: Iterable[Row]) -> list[tuple[float, float, str]]:
    """Alert positions for the route plot."""
    return [
        (float(a["lat"]), float(a["lon"]), f"{a['alert_type']} ({a['severity']})")
        for a in alerts
        if a.get("lat") is not None and a.get("lon") is not None
    ]


def details(row: Row) -> dict[str, Any]:
    """An alert's or ETA's ``details_json`` as a dict (empty when unreadable)."""
    try:
        value = json.loads(row.get("details_json") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def kpi_bars(
    rows: Sequence[Row], dimension: str, field: str, *, text: Callable[[Row], str] | None = None
) -> list[Bar]:
    """Bars for one dimension of a KPI view, largest first (ties by name)."""
    chosen = [r for r in rows if r["dimension"] == dimension and r[field] is not None]
    chosen.sort(key=lambda r: (-float(r[field]), str(r["dimension_value"])))
    return [
        Bar(
            str(r["dimension_value"]),
            float(r[field]),
            text(r) if text else f"{float(r[field]):.1f}",
        )
        for r in chosen
    ]
