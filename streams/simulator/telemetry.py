"""Logger readings of a simulated shipment: payload temperature, fixes, sensors and uploads."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from schemas.profiles import BUILTIN_PROFILES, ProductProfile
from schemas.units import to_celsius
from streams.simulator.clock import HOUR, MINUTE, SECOND, rfc3339
from streams.simulator.fleet import Shipment

SHOCK_G = (12.0, 25.0)
"""Injected shocks: a dewar drop, well above any sensible threshold (normal handling < 1.5 g)."""
TILT_DEG = (70.0, 100.0)
"""Injected tilt: the shipper on its side (upright readings stay under 8 degrees)."""
LOW_BATTERY_PCT = (4.0, 9.0)
"""Injected battery failure: a step down from above 60 % to single digits."""


@dataclass
class Reading:
    """One logger reading, what it says and when it reached the platform."""

    seq: int
    at: int  # when it was really taken
    stamped_at: int  # what the logger's clock wrote (later than `at` under clock skew)
    received_at: int
    temperature_c: float  # as the decoder will see it after unit conversion
    lat: float | None
    lon: float | None
    lid_open: bool
    tilt_deg: float
    shock_g: float
    battery_pct: float
    ambient_c: float
    accuracy_m: int
    lost: bool = False  # never delivered
    burst: bool = False  # uploaded late, with others, after an outage or a flight
    late: bool = False  # delivered after a reading taken after it
    duplicates: list[int] = field(default_factory=list)  # received_at of re-uploads

    @property
    def skewed(self) -> bool:
        return self.stamped_at != self.at


@dataclass
class Injection:
    """What was done to a shipment's readings, for the truth file."""

    kind: str
    start: int
    end: int
    detail: dict[str, Any] = field(default_factory=dict)


def profile_of(shipment: Shipment) -> ProductProfile:
    """The effective profile: the named built-in with the manifest's inline fields over it."""
    base = BUILTIN_PROFILES[shipment.profile]
    if not shipment.profile_overrides:
        return base
    return ProductProfile.model_validate({**base.model_dump(), **shipment.profile_overrides})


def readings_for(shipment: Shipment, rng: random.Random) -> tuple[list[Reading], list[Injection]]:
    """Every reading the shipment's logger takes, with its faults and its upload timing."""
    s = shipment
    step = s.interval_s * SECOND
    injections: list[Injection] = []
    times = list(range(s.packed_at, s.logger_stop, step))
    transit = [t for t in times if s.departed_at <= t < s.arrived_at]
    if not transit:
        transit = times[1:-1] or times

    if s.fault == "logger_outage":
        # the logger reboots and stays off: nothing is recorded, seq does not skip; it comes
        # back before the end, so the silence is bounded by readings on both sides
        usable = [t for t in times[1:-3] if t >= s.departed_at]
        if len(usable) < 5:
            usable = times[1:-3]
        span = usable[-1] - usable[0]
        length = min(span, max(4 * step, min(round(rng.uniform(3, 6) * HOUR), round(span * 0.7))))
        begin = usable[0] + rng.randint(0, max(0, span - length))
        off = [t for t in times if begin <= t < begin + length]
        times = [t for t in times if not begin <= t < begin + length]
        if off:
            injections.append(Injection("logger_outage", off[0], off[-1]))

    seq0 = rng.randint(1000, 50000)
    base = _BaseTemperature(s, rng)
    battery = rng.uniform(62, 100)
    drain = rng.uniform(0.1, 0.3) / HOUR
    readings: list[Reading] = []
    for i, t in enumerate(times):
        lat, lon, moving = s.position(t)
        leg_mode = _mode_at(s, t)
        fix = leg_mode != "air"  # loggers go to flight mode in the air
        accuracy = rng.uniform(5, 30) if moving else rng.uniform(3, 15)
        readings.append(
            Reading(
                seq=seq0 + i,
                at=t,
                stamped_at=t,
                received_at=t + rng.randint(3 * SECOND, 60 * SECOND),
                temperature_c=base.next(),
                lat=lat + rng.gauss(0, accuracy / 111_000) if fix else None,
                lon=lon + rng.gauss(0, accuracy / 85_000) if fix else None,
                lid_open=False,
                tilt_deg=rng.uniform(0, 6),
                shock_g=rng.uniform(0.05, 1.2) if moving else rng.uniform(0.0, 0.15),
                battery_pct=max(1.0, battery - drain * (t - s.packed_at)),
                ambient_c=rng.uniform(8, 18) if leg_mode == "air" else rng.uniform(15, 23),
                accuracy_m=round(accuracy),
            )
        )

    _inject(s, readings, rng, injections)
    _uploads(s, readings, rng, injections)
    if s.fault == "clock_skew":
        _skew(readings, rng, injections)
    profile = profile_of(s)
    for r in readings:
        r.temperature_c = _clear_of_thresholds(r.temperature_c, profile)
    return readings, injections


def _mode_at(s: Shipment, t: int) -> str | None:
    for leg in s.legs:
        if leg.departed_at <= t < leg.arrived_at:
            return leg.mode
    return None


class _BaseTemperature:
    """Normal payload temperature: mean-reverting drift plus sensor noise."""

    def __init__(self, s: Shipment, rng: random.Random) -> None:
        self.rng = rng
        if s.cryo:
            self.mean, self.step, self.noise, self.low, self.high = (
                rng.uniform(-190, -178),
                0.15,
                0.25,
                -194.0,
                -171.0,
            )
        else:
            self.mean, self.step, self.noise, self.low, self.high = (
                rng.uniform(4.0, 5.0),
                0.05,
                0.08,
                3.1,
                5.9,
            )
        self.drift = 0.0

    def next(self) -> float:
        self.drift = 0.95 * self.drift + self.rng.gauss(0, self.step)
        value = self.mean + self.drift + self.rng.gauss(0, self.noise)
        return min(self.high, max(self.low, value))


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


def _inject(s: Shipment, readings: list[Reading], rng: random.Random, out: list[Injection]) -> None:
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


def _uploads(
    s: Shipment, readings: list[Reading], rng: random.Random, out: list[Injection]
) -> None:
    """Bursts after flights and outages, occasional late and duplicate uploads."""
    windows = [
        (leg.departed_at, leg.arrived_at, "flight_burst") for leg in s.legs if leg.mode == "air"
    ]
    if s.fault == "upload_outage":
        road = max(
            (leg for leg in s.legs if leg.mode == "road"),
            key=lambda leg: leg.arrived_at - leg.departed_at,
        )
        length = min(round(rng.uniform(1.5, 3.0) * HOUR), road.arrived_at - road.departed_at)
        begin = rng.randint(road.departed_at, road.arrived_at - length)
        windows.append((begin, begin + length, "upload_outage"))
    for begin, end, kind in windows:
        held = [r for r in readings if begin <= r.at < end]
        if not held:
            continue
        burst_at = end + rng.randint(3, 10) * MINUTE
        order = list(held)
        rng.shuffle(order)
        for n, r in enumerate(order):
            r.received_at = burst_at + n * rng.randint(150, 400)
            r.burst = True
        for r in rng.sample(held, min(len(held), rng.randint(1, 4))):
            r.duplicates.append(burst_at + rng.randint(1, 3) * MINUTE + rng.randint(0, 999))
        out.append(Injection(kind, held[0].at, burst_at, {"readings": len(held)}))
    for r in readings:
        if r.burst:
            continue
        roll = rng.random()
        if roll < 0.004:
            r.received_at = r.at + round(s.interval_s * SECOND * rng.uniform(1.3, 2.5))
        elif roll < 0.012:
            r.duplicates.append(r.received_at + rng.randint(1, 20) * MINUTE)


def _skew(readings: list[Reading], rng: random.Random, out: list[Injection]) -> None:
    """A logger clock glitch: a few isolated readings stamped well in the future of arrival."""
    candidates = [i for i in range(1, len(readings) - 1, 3) if not readings[i].burst]
    for i in sorted(rng.sample(candidates, min(rng.randint(1, 3), len(candidates)))):
        r = readings[i]
        r.duplicates.clear()
        r.stamped_at = r.received_at + rng.randint(15, 120) * MINUTE
        out.append(
            Injection("clock_skew", r.at, r.at, {"seq": r.seq, "stamped_at": rfc3339(r.stamped_at)})
        )


def _clear_of_thresholds(value_c: float, profile: ProductProfile) -> float:
    """Round like the device would, keeping clear of the thresholds' exact values."""
    limits = [
        limit
        for limit in (
            profile.upper_c,
            profile.lower_c,
            profile.warning_upper_c,
            profile.warning_lower_c,
        )
        if limit is not None
    ]
    hysteresis = profile.hysteresis_c
    edges = [*limits, *(x - hysteresis for x in limits), *(x + hysteresis for x in limits)]
    for edge in edges:
        if abs(value_c - edge) < 0.06:
            value_c = edge + (0.15 if value_c >= edge else -0.15)
    return round(value_c, 1)


def device_temperature(value_c: float, unit: str) -> float:
    """The value a device reporting in `unit` sends for a payload at `value_c` °C."""
    if unit == "F":
        return round(value_c * 9 / 5 + 32, 1)
    if unit == "K":
        return round(value_c + 273.15, 2)
    return value_c


def decoded_temperature(value_c: float, unit: str) -> float:
    """What the decoder makes of that value again."""
    return to_celsius(device_temperature(value_c, unit), unit)


def wire_value(s: Shipment, r: Reading) -> dict[str, Any]:
    """The telemetry message for one reading."""
    value: dict[str, Any] = {
        "event_id": f"{s.logger_id}:{r.seq}",
        "shipment_id": s.shipment_id,
        "logger_id": s.logger_id,
        "seq": r.seq,
        "recorded_at": r.stamped_at if s.epoch_ms_timestamps else rfc3339(r.stamped_at),
        "lid_open": r.lid_open,
        "tilt_deg": round(r.tilt_deg, 1),
        "shock_g": round(r.shock_g, 2),
        "battery_pct": round(r.battery_pct, 1),
        "ambient_c": round(r.ambient_c, 1),
    }
    if s.temperature_unit == "C":
        value["temperature_c"] = r.temperature_c
    else:
        value["temperature"] = {
            "value": device_temperature(r.temperature_c, s.temperature_unit),
            "unit": s.temperature_unit,
        }
    if r.lat is not None and r.lon is not None:
        value["location"] = {
            "lat": round(r.lat, 5),
            "lon": round(r.lon, 5),
            "accuracy_m": r.accuracy_m,
        }
    return value
