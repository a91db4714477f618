"""Sensor and payload faults injected into a shipment's readings."""

from __future__ import annotations

import random

from streams.simulator.clock import HOUR, MINUTE, rfc3339
from streams.simulator.fleet import Shipment
from streams.simulator.readings import Injection, Reading, profile_of

SHOCK_G = (12.0, 25.0)
"""Injected shocks: a dewar drop, well above any sensible threshold (normal handling < 1.5 g)."""
TILT_DEG = (70.0, 100.0)
"""Injected tilt: the shipper on its side (upright readings stay under 8 degrees)."""
LOW_BATTERY_PCT = (4.0, 9.0)
"""Injected battery failure: a step down from above 60 % to single digits."""


def _envelope(t: int, begin: int, rise: int, hold: int, fall: int) -> float:
    """0 before `begin`, up to 1 over `rise`, 1 for `hold`, back to 0 over `fall`."""
    if t < begin:
        return 0.0
    if t < begin + rise:
        return (t - begin) / rise
    if t < begin + rise + hold:
        return 1.0
    if t < begin + rise + hold + fall:
        return 1.0 - (t - begin - rise - hold) / fall
    return 0.0


def _transit_window(s: Shipment, readings: list[Reading], length: int, rng: random.Random) -> int:
    """A start time such that `length` fits between departure and the logger's last reading."""
    first = max(s.departed_at, readings[0].at)
    last = readings[-1].at - length
    if last <= first:
        return readings[0].at
    return rng.randint(first, last)


def _shape(
    s: Shipment, readings: list[Reading], rng: random.Random, hours: tuple[float, float, float]
) -> tuple[int, int, int, int]:
    """Begin, rise, hold and fall of a temperature episode, squeezed into the trip if needed."""
    rise, hold, fall = (round(h * HOUR) for h in hours)
    available = readings[-1].at - readings[0].at
    total = rise + hold + fall
    if total > 0.85 * available:
        scale = 0.85 * available / total
        rise, hold, fall = round(rise * scale), round(hold * scale), round(fall * scale)
    begin = _transit_window(s, readings, rise + hold + fall, rng)
    return begin, rise, hold, fall


def inject_sensor_fault(
    s: Shipment, readings: list[Reading], rng: random.Random, out: list[Injection]
) -> None:
    profile = profile_of(s)
    kind = s.fault
    if kind in ("excursion_ramp", "warning_band", "excursion_cold"):
        if kind == "excursion_cold":
            assert profile.lower_c is not None
            target = rng.uniform(-1.0, profile.lower_c - 0.8)
            hours = (rng.uniform(1.5, 2.5), rng.uniform(0.5, 1.0), rng.uniform(1.0, 2.0))
        elif kind == "warning_band":
            assert profile.upper_c is not None and profile.warning_upper_c is not None
            target = rng.uniform(profile.warning_upper_c + 2.5, profile.upper_c - 3.5)
            hours = (rng.uniform(1.0, 2.0), rng.uniform(0.3, 1.0), rng.uniform(0.6, 1.2))
        else:
            assert profile.upper_c is not None
            if s.cryo:
                target = profile.upper_c + rng.uniform(3, 12)
                hours = (rng.uniform(1.2, 2.5), rng.uniform(0.2, 0.6), rng.uniform(0.8, 1.5))
            else:
                target = rng.uniform(profile.upper_c + 1.5, profile.upper_c + 5)
                hours = (rng.uniform(1.5, 2.5), rng.uniform(0.5, 1.0), rng.uniform(1.0, 2.0))
        begin, rise, hold, fall = _shape(s, readings, rng, hours)
        for r in readings:
            w = _envelope(r.at, begin, rise, hold, fall)
            if w:
                r.temperature_c += w * (target - r.temperature_c)
        out.append(
            Injection(kind, begin, begin + rise + hold + fall, {"target_c": round(target, 1)})
        )
    elif kind == "excursion_spike":
        assert profile.upper_c is not None
        inside = [i for i, r in enumerate(readings[1:-2], start=1) if r.at >= s.departed_at]
        i = rng.choice(inside or [1])
        width = rng.choice((1, 2))
        for r in readings[i : i + width]:
            r.temperature_c = profile.upper_c + rng.uniform(2, 10)
        out.append(Injection(kind, readings[i].at, readings[i + width].at))
    elif kind == "hold_exhaustion":
        assert s.shipper is not None
        begin = s.shipper.exhausted_at + rng.randint(0, 20) * MINUTE
        rate = rng.uniform(8, 14) / HOUR
        for r in readings:
            if r.at > begin:
                r.temperature_c += rate * (r.at - begin)
        out.append(
            Injection(
                kind,
                s.shipper.exhausted_at,
                readings[-1].at,
                {"rate_c_per_h": round(rate * HOUR, 1)},
            )
        )
    elif kind == "lid_open":
        i = _pick(s, readings, rng)
        width = rng.randint(1, 3)
        for r in readings[i : i + width]:
            r.lid_open = True
            r.temperature_c += 3.0 if s.cryo else 0.3
        out.append(Injection(kind, readings[i].at, readings[min(i + width, len(readings) - 1)].at))
    elif kind == "tilt":
        available = readings[-1].at - readings[0].at
        length = min(round(rng.uniform(1.5, 4.0) * HOUR), round(0.85 * available))
        begin = _transit_window(s, readings, length, rng)
        tilted = [r for r in readings if begin <= r.at < begin + length]
        for r in tilted:
            r.tilt_deg = rng.uniform(*TILT_DEG)
        if tilted:
            out.append(Injection(kind, tilted[0].at, tilted[-1].at))
    elif kind == "shock":
        r = readings[_pick(s, readings, rng)]
        r.shock_g = rng.uniform(*SHOCK_G)
        out.append(Injection(kind, r.at, r.at))
    elif kind == "low_battery":
        i = _pick(s, readings, rng)
        level = rng.uniform(*LOW_BATTERY_PCT)
        for n, r in enumerate(readings[i:]):
            r.battery_pct = max(1.0, level - 0.05 * n)
        out.append(Injection(kind, readings[i].at, readings[-1].at))
    elif kind == "lost_reading":
        r = readings[_pick(s, readings, rng)]
        r.lost = True
        out.append(Injection(kind, r.at, r.at, {"seq": r.seq}))


def _pick(s: Shipment, readings: list[Reading], rng: random.Random) -> int:
    """Index of a reading taken in transit (not the first or the last)."""
    inside = [
        i for i, r in enumerate(readings[1:-3], start=1) if s.departed_at <= r.at < s.arrived_at
    ]
    return rng.choice(inside or list(range(1, max(2, len(readings) - 3))))


def skew_clock(readings: list[Reading], rng: random.Random, out: list[Injection]) -> None:
    """A logger clock glitch: a few isolated readings stamped well in the future of arrival."""
    candidates = [i for i in range(1, len(readings) - 1, 3) if not readings[i].burst]
    for i in sorted(rng.sample(candidates, min(rng.randint(1, 3), len(candidates)))):
        r = readings[i]
        r.duplicates.clear()
        r.stamped_at = r.received_at + rng.randint(15, 120) * MINUTE
        out.append(
            Injection("clock_skew", r.at, r.at, {"seq": r.seq, "stamped_at": rfc3339(r.stamped_at)})
        )
