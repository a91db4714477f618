"""Device rules: lid open, shock, tilt, low battery, logger silence and sequence gaps."""

from __future__ import annotations

from alerts.config import RuleConfig
from alerts.episodes import Band
from alerts.findings import Finding, Point

__all__ = ["device_bands", "ongoing_silence", "sequence_gap", "silence"]


def device_bands(config: RuleConfig) -> list[Band]:
    """Episode bands over the logger's lid, shock, tilt and battery fields."""
    return [
        Band("lid_open", "lid", "lid", 0.5),
        Band("shock", "shock", "shock", config.shock_g, inclusive=True, unit="g"),
        Band("tilt", "tilt", "tilt", config.tilt_deg, delay_s=config.tilt_min_s, unit="deg"),
        Band("low_battery", "battery", "battery", config.low_battery_pct, direction=-1, unit="pct"),
    ]


def silence(
    previous_t: float, t: float, silent_after_s: float, location: Point | None
) -> Finding | None:
    """``logger_silent`` for a gap between two consecutive readings longer than the bound.

    It opens when the silence passed the bound (``previous_t + silent_after_s``) and resolves
    at the reading that ended it; the anchor is the last reading before the silence, so a
    live ``tick`` and the later reading describe the same alert.
    """
    gap = t - previous_t
    if gap <= silent_after_s:
        return None
    return ongoing_silence(previous_t, silent_after_s, location, resolved_at=t)


def ongoing_silence(
    last_t: float, silent_after_s: float, location: Point | None, resolved_at: float | None = None
) -> Finding:
    """The silence finding after the reading at ``last_t`` (open unless ``resolved_at``)."""
    opened = last_t + silent_after_s
    details: dict[str, float] = {"last_reading_at": last_t, "silent_after_s": silent_after_s}
    if resolved_at is not None:
        details["silent_s"] = resolved_at - last_t
    return Finding(
        "logger_silent",
        f"after@{last_t:.3f}",
        opened,
        resolved_at or opened,
        resolved_at,
        dict(details),
        location,
    )


def sequence_gap(
    logger_id: str, previous_seq: int, seq: int, t: float, location: Point | None
) -> Finding | None:
    """``sequence_gap`` when a logger's ``seq`` jumps past ``previous_seq + 1``.

    A lower ``seq`` (logger restart) is not a gap. A gap later filled by late readings
    disappears from the derivation, and the lifecycle withdraws the alert.
    """
    if seq <= previous_seq + 1:
        return None
    details = {
        "logger_id": logger_id,
        "expected_seq": previous_seq + 1,
        "received_seq": seq,
        "missing": seq - previous_seq - 1,
    }
    return Finding("sequence_gap", f"{logger_id}:{previous_seq}", t, t, None, details, location)
