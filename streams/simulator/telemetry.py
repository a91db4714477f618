"""Logger readings of a simulated shipment: payload temperature, fixes, sensors and uploads."""

from __future__ import annotations

import random
from typing import Any

from schemas.profiles import ProductProfile
from schemas.units import to_celsius
from streams.simulator.clock import HOUR, SECOND, rfc3339
from streams.simulator.fleet import Shipment
from streams.simulator.readings import Injection, Reading, profile_of
from streams.simulator.sensor_faults import inject_sensor_fault, skew_clock
from streams.simulator.uploads import schedule_uploads


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

    inject_sensor_fault(s, readings, rng, injections)
    schedule_uploads(s, readings, rng, injections)
    if s.fault == "clock_skew":
        skew_clock(readings, rng, injections)
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
