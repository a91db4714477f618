"""Fault kinds the simulator injects, which lanes each fits, and how they are spread over a fleet."""

from __future__ import annotations

import random
from collections.abc import Callable

from streams.simulator.fleet import Lane

FAULT_RATE = 0.45
"""Share of shipments that get one injected fault."""

_ANY: Callable[[Lane], bool] = lambda lane: True  # noqa: E731

FAULT_KINDS: dict[str, Callable[[Lane], bool]] = {
    # payload temperature
    "excursion_ramp": _ANY,  # warming past upper_c, then recovered
    "excursion_spike": lambda lane: lane.cryo,  # one or two readings past upper_c
    "excursion_cold": lambda lane: not lane.cryo,  # fresh product below lower_c
    "warning_band": lambda lane: lane.cryo,  # into the warning band, never past upper_c
    "hold_exhaustion": lambda lane: lane.cryo,  # dry shipper runs out of LN2 in transit
    # logger and package sensors
    "lid_open": _ANY,
    "tilt": _ANY,
    "shock": _ANY,
    "low_battery": _ANY,
    "logger_outage": _ANY,  # logger stops recording for hours
    "lost_reading": _ANY,  # one reading never arrives: seq skips
    "clock_skew": _ANY,  # a few readings stamped far in the future
    "upload_outage": _ANY,  # readings kept on the logger, uploaded late in a burst
    # journey
    "late_leg": _ANY,
    "long_dwell": lambda lane: lane.air or lane.direction == "outbound",
    # chain of custody
    "coi_mismatch": _ANY,
    "custody_gap": _ANY,
    "non_conformant": _ANY,
}


def assign_faults(lanes: list[Lane], rng: random.Random) -> list[str | None]:
    """One fault kind or None per lane.

    Faulty shipments are drawn at `FAULT_RATE`; kinds go round a shuffled list, so every kind
    appears once there are enough faulty shipments; a kind that does not fit the lane is
    passed to the next shipment.
    """
    kinds = list(FAULT_KINDS)
    rng.shuffle(kinds)
    pending: list[str] = []
    result: list[str | None] = []
    for lane in lanes:
        if rng.random() >= FAULT_RATE:
            result.append(None)
            continue
        pending.append(kinds[0])
        kinds = [*kinds[1:], kinds[0]]
        chosen = next((kind for kind in pending if FAULT_KINDS[kind](lane)), None)
        if chosen is not None:
            pending.remove(chosen)
        result.append(chosen)
    return result
