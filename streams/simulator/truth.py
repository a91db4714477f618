"""Ground truth derived from what the simulator actually delivered, with design.md's semantics.

Temperature, device and silence faults are not taken from the injection plan but recomputed
from the readings a correct engine receives (valid, deduplicated, ordered by their own
time), so each truth window is exactly what the alert rules should see: an episode starts on
the first reading past a limit and ends on the first reading back inside by the hysteresis.
Windows where a correct engine may or may not raise an alert (a gap of exactly two intervals,
a transient sequence gap while a burst is being delivered, hold time lowered by tilt...) are
listed as `tolerated`: the scorer counts alerts there neither as hits nor as false alarms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

from schemas.profiles import ProductProfile
from streams.simulator.clock import HOUR, SECOND, rfc3339
from streams.simulator.fleet import Shipment
from streams.simulator.geo import haversine_km
from streams.simulator.readings import Injection, Reading
from streams.simulator.telemetry import decoded_temperature

TILT_THRESHOLD_DEG = 45.0
SHOCK_THRESHOLD_G = 5.0
LOW_BATTERY_THRESHOLD_PCT = 30.0
MIN_TILT_S = 3600
"""Tilt episodes shorter than this are tolerated, not required (the engine's minimum varies)."""
CHECKPOINTS = (0.25, 0.5, 0.75)
FALLBACK_SPEED_KMH = 60.0
MIN_SPEED_KMH = 5.0


@dataclass(frozen=True)
class Window:
    """A truth window for one alert type on one shipment."""

    shipment_id: str
    type: str
    start: int
    end: int
    reason: str = ""


def episodes(
    points: Sequence[tuple[int, float]],
    outside: Callable[[float], bool],
    back_inside: Callable[[float], bool],
) -> list[tuple[int, int, bool]]:
    """(start, end, resolved) of each episode in time-ordered points.

    An episode opens on the first point `outside` and closes on the first later point
    `back_inside`; an episode still open at the end closes at the last point, unresolved.
    """
    found: list[tuple[int, int, bool]] = []
    opened: int | None = None
    for at, value in points:
        if opened is None:
            if outside(value):
                opened = at
        elif back_inside(value):
            found.append((opened, at, True))
            opened = None
    if opened is not None:
        found.append((opened, points[-1][0], False))
    return found


def delivered(readings: Sequence[Reading]) -> list[Reading]:
    """The readings a correct engine accepts: not lost, not from the future; by their own time."""
    return sorted((r for r in readings if not r.lost and not r.skewed), key=lambda r: r.at)


def _temperature_windows(
    s: Shipment, profile: ProductProfile, points: list[tuple[int, float]]
) -> tuple[list[Window], list[Window]]:
    faults: list[Window] = []
    tolerated: list[Window] = []
    h = profile.hysteresis_c
    checks: list[tuple[str, float | None, float | None, float]] = [
        ("temperature_excursion", profile.upper_c, profile.lower_c, profile.alarm_delay_s),
        (
            "temperature_warning",
            profile.warning_upper_c,
            profile.warning_lower_c,
            profile.warning_delay_s,
        ),
    ]
    for alert_type, upper, lower, delay_s in checks:
        found: list[tuple[int, int, bool]] = []
        if upper is not None:
            found += episodes(points, partial(gt, limit=upper), partial(le, limit=upper - h))
        if lower is not None:
            found += episodes(points, partial(lt, limit=lower), partial(ge, limit=lower + h))
        for start, end, _ in found:
            window = Window(s.shipment_id, alert_type, start, end)
            clear = (end - start) >= (delay_s + s.interval_s) * SECOND
            (faults if clear else tolerated).append(window)
            if alert_type == "temperature_excursion":
                # a warning-band engine may also fire while the excursion is open
                tolerated.append(Window(s.shipment_id, "temperature_warning", start, end))
    budget = _budget_window(s, profile, points)
    if budget is not None:
        (faults if budget.reason == "" else tolerated).append(budget)
    return faults, tolerated


def out_of_range_totals(
    profile: ProductProfile, points: list[tuple[int, float]], *, hysteresis: bool
) -> tuple[int | None, int, int | None]:
    """(when the budget is reached, total ms out of range, first out-of-range time).

    Each value is held until the next reading. With `hysteresis`, a reading stays out of
    range until one is back inside by the margin; without, each reading is judged alone.
    """
    assert profile.cumulative_budget_s is not None
    budget_ms = profile.cumulative_budget_s * SECOND
    upper, lower, h = profile.upper_c, profile.lower_c, profile.hysteresis_c
    total = 0
    reached: int | None = None
    first: int | None = None
    out = False
    previous: int | None = None
    for at, value in points:
        if out and previous is not None:
            total += at - previous
            if reached is None and total >= budget_ms:
                reached = at
        past = (upper is not None and value > upper) or (lower is not None and value < lower)
        if hysteresis and out:
            inside = (upper is None or value <= upper - h) and (lower is None or value >= lower + h)
            out = not inside
        else:
            out = past
        if out and first is None:
            first = at
        previous = at
    return reached, total, first


def _budget_window(
    s: Shipment, profile: ProductProfile, points: list[tuple[int, float]]
) -> Window | None:
    """`out_of_range_budget` from the first reading at which the budget is used up, for good.

    Counting with or without hysteresis must both reach the budget, with two reporting
    intervals to spare, for a fault; a total near the budget is only tolerated.
    """
    if profile.cumulative_budget_s is None or not points:
        return None
    raw = out_of_range_totals(profile, points, hysteresis=False)
    held = out_of_range_totals(profile, points, hysteresis=True)
    budget_ms = profile.cumulative_budget_s * SECOND
    margin = 2 * s.interval_s * SECOND
    last = points[-1][0]
    if raw[0] is not None and held[0] is not None and min(raw[1], held[1]) >= budget_ms + margin:
        return Window(s.shipment_id, "out_of_range_budget", min(raw[0], held[0]), last)
    if max(raw[1], held[1]) >= budget_ms - margin:
        first = min(t for t in (raw[2], held[2]) if t is not None)
        return Window(s.shipment_id, "out_of_range_budget", first, last, "near budget")
    return None


def gt(value: float, limit: float) -> bool:
    return value > limit


def ge(value: float, limit: float) -> bool:
    return value >= limit


def lt(value: float, limit: float) -> bool:
    return value < limit


def le(value: float, limit: float) -> bool:
    return value <= limit


def _flag_windows(points: list[tuple[int, float]], threshold: float) -> list[tuple[int, int, bool]]:
    return episodes(points, partial(gt, limit=threshold), partial(le, limit=threshold))


def reading_windows(
    s: Shipment, profile: ProductProfile, readings: Sequence[Reading]
) -> tuple[list[Window], list[Window]]:
    """Faults and tolerated windows visible in a shipment's delivered readings."""
    good = delivered(readings)
    faults: list[Window] = []
    tolerated: list[Window] = []
    if not good:
        return faults, tolerated
    sid = s.shipment_id
    temps = [(r.at, decoded_temperature(r.temperature_c, s.temperature_unit)) for r in good]
    f, t = _temperature_windows(s, profile, temps)
    faults += f
    tolerated += t

    lids = [(r.at, 1.0 if r.lid_open else 0.0) for r in good]
    faults += [Window(sid, "lid_open", a, b) for a, b, _ in _flag_windows(lids, 0.5)]
    tilts = [(r.at, r.tilt_deg) for r in good]
    for a, b, _ in _flag_windows(tilts, TILT_THRESHOLD_DEG):
        (faults if b - a >= MIN_TILT_S * SECOND else tolerated).append(Window(sid, "tilt", a, b))
        if s.shipper is not None:
            tolerated.append(Window(sid, "hold_time_risk", a, s.arrived_at))
    faults += [Window(sid, "shock", r.at, r.at) for r in good if r.shock_g >= SHOCK_THRESHOLD_G]
    low = next((r for r in good if r.battery_pct < LOW_BATTERY_THRESHOLD_PCT), None)
    if low is not None:
        faults.append(Window(sid, "low_battery", low.at, good[-1].at))

    # silence, judged on the readings' own time
    step = s.interval_s * SECOND
    for before, after in pairwise(good):
        gap = after.at - before.at
        if gap >= 3 * step:
            faults.append(Window(sid, "logger_silent", before.at, after.at))
        elif gap >= 2 * step:
            tolerated.append(Window(sid, "logger_silent", before.at, after.at, "borderline gap"))
    tolerated.append(Window(sid, "logger_silent", s.created_at, good[0].at, "before first"))
    tolerated.append(
        Window(sid, "logger_silent", good[-1].at, good[-1].at + 30 * 24 * HOUR, "after last")
    )

    # sequence gaps that stay, and transient ones while late readings are on their way
    by_seq = sorted(good, key=lambda r: r.seq)
    for before, after in pairwise(by_seq):
        if after.seq - before.seq > 1:
            faults.append(Window(sid, "sequence_gap", before.at, after.at))
    arrival = sorted(good, key=lambda r: (r.received_at, r.seq))
    newest_seq = -1
    newest_at = 0
    for r in arrival:
        if r.seq < newest_seq:
            tolerated.append(Window(sid, "sequence_gap", r.at - step, newest_at + step, "late"))
            tolerated.append(Window(sid, "logger_silent", r.at - step, r.received_at, "late"))
        elif r.seq > newest_seq:
            newest_seq, newest_at = r.seq, r.at
    return faults, tolerated


def journey_windows(
    s: Shipment, profile_max_transit_h: float | None = None
) -> tuple[list[Window], list[Window]]:
    """Hold-time, lateness, dwell and transit-time faults from the shipment's timeline."""
    sid = s.shipment_id
    faults: list[Window] = []
    tolerated: list[Window] = []
    delay_start: int | None = None
    if s.fault == "hold_exhaustion":
        faults.append(Window(sid, "hold_time_risk", s.created_at, s.arrived_at))
    if s.fault == "long_dwell":
        if len(s.legs) > 1:
            start, end = s.legs[0].arrived_at, s.legs[1].departed_at
        else:
            start, end = s.packed_at, s.legs[0].departed_at
        faults.append(Window(sid, "dwell_exceeded", start, end))
        delay_start = start
    for leg in s.legs:
        if leg.stop is not None:
            tolerated.append(Window(sid, "dwell_exceeded", leg.stop[0], leg.stop[1], "road stop"))
            delay_start = leg.stop[0]
    for previous, leg in pairwise(s.legs):
        tolerated.append(
            Window(sid, "dwell_exceeded", previous.arrived_at, leg.departed_at, "transfer")
        )
    tolerated.append(Window(sid, "dwell_exceeded", s.packed_at, s.departed_at, "origin"))
    tolerated.append(Window(sid, "dwell_exceeded", s.arrived_at, s.logger_stop, "delivered"))
    if profile_max_transit_h is not None:
        limit = s.departed_at + round(profile_max_transit_h * HOUR)
        if s.arrived_at > limit + HOUR:
            faults.append(Window(sid, "max_transit_exceeded", limit, s.arrived_at))
        elif s.arrived_at > limit - HOUR:
            tolerated.append(Window(sid, "max_transit_exceeded", limit - HOUR, s.arrived_at))
    if s.arrived_at > s.promised_end:
        faults.append(Window(sid, "late_delivery_risk", delay_start or s.departed_at, s.arrived_at))
    elif delay_start is not None:
        tolerated.append(Window(sid, "late_delivery_risk", delay_start, s.arrived_at, "recovered"))
    return faults, tolerated


def trip(s: Shipment, readings: Sequence[Reading]) -> dict[str, Any]:
    """Departure, arrival and, at 25/50/75 % of the trip, what a naive predictor could know.

    `remaining_km` is the great-circle distance from the newest fix received by then to the
    destination, and `observed_speed_kmh` the speed between the newest two consecutive such
    fixes that show movement (at least 5 km/h), else 60 km/h.
    """
    fixes = sorted(
        (r for r in delivered(readings) if r.lat is not None and r.lon is not None),
        key=lambda r: r.at,
    )
    checkpoints = []
    for fraction in CHECKPOINTS:
        at = s.departed_at + round((s.arrived_at - s.departed_at) * fraction)
        known = [r for r in fixes if r.received_at <= at and r.at <= at]
        if known:
            last = known[-1]
            assert last.lat is not None and last.lon is not None
            lat, lon = last.lat, last.lon
        else:
            lat, lon = s.origin.lat, s.origin.lon
        remaining = haversine_km(lat, lon, s.destination.lat, s.destination.lon)
        speed = _last_moving_speed(known)
        if speed < MIN_SPEED_KMH:
            speed = FALLBACK_SPEED_KMH
        checkpoints.append(
            {
                "fraction": fraction,
                "at": rfc3339(at),
                "remaining_km": round(remaining, 2),
                "observed_speed_kmh": round(speed, 2),
            }
        )
    return {
        "shipment_id": s.shipment_id,
        "departed_at": rfc3339(s.departed_at),
        "arrived_at": rfc3339(s.arrived_at),
        "promised_end": rfc3339(s.promised_end),
        "modes": [leg.mode for leg in s.legs],
        "checkpoints": checkpoints,
    }


def _last_moving_speed(fixes: Sequence[Reading]) -> float:
    """Speed in km/h over the newest pair of consecutive fixes that moved; 0 when none did."""
    for a, b in pairwise(reversed(fixes)):
        assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
        hours = (a.at - b.at) / HOUR
        if hours > 0:
            speed = haversine_km(b.lat, b.lon, a.lat, a.lon) / hours
            if speed >= MIN_SPEED_KMH:
                return speed
    return 0.0


def injection_json(s: Shipment, injection: Injection) -> dict[str, Any]:
    return {
        "shipment_id": s.shipment_id,
        "kind": injection.kind,
        "start": rfc3339(injection.start),
        "end": rfc3339(injection.end),
        **({"detail": injection.detail} if injection.detail else {}),
    }
