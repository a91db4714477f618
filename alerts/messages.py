"""Human-readable alert messages (ids and roles only: never a patient name)."""

from __future__ import annotations

from typing import Any

from alerts.eta_messages import ETA_MESSAGE_TYPES, eta_text
from alerts.findings import Finding

__all__ = ["format_duration", "message"]


def format_duration(seconds: float) -> str:
    """``2 h 5 min``, ``40 min`` or ``30 s``."""
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes = total // 60
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _side(finding: Finding) -> str:
    return "below" if finding.anchor.startswith("lower") else "above"


def _text(f: Finding) -> str:
    d: dict[str, Any] = f.details
    kind = f.type
    if kind in ("temperature_excursion", "temperature_warning"):
        what = "Payload" if kind == "temperature_excursion" else "Payload in warning band,"
        limit = f"{what} {_side(f)} {d['limit_c']:g} °C"
        if f.resolved_at is not None:
            return f"{limit} for {format_duration(d['duration_s'])} (peak {d['peak_c']:g} °C)"
        so_far = f", {format_duration(d['duration_s'])} so far" if d["duration_s"] > 0 else ""
        return f"{limit} (peak {d['peak_c']:g} °C{so_far})"
    if kind == "out_of_range_budget":
        return (
            f"Cumulative time out of range {format_duration(d['cumulative_out_of_range_s'])} "
            f"reached the budget of {format_duration(d['budget_s'])}"
        )
    if kind == "lid_open":
        return f"Lid or seal open for {format_duration(d['duration_s'])}"
    if kind == "shock":
        return f"Shock of {d['peak_g']:g} g (threshold {d['limit_g']:g} g)"
    if kind == "tilt":
        return (
            f"Shipper tilted {d['peak_deg']:g}° (past {d['limit_deg']:g}°) for "
            f"{format_duration(d['duration_s'])}; hold time is at risk"
        )
    if kind == "low_battery":
        return f"Logger battery at {d['peak_pct']:g} % (below {d['limit_pct']:g} %)"
    if kind == "logger_silent":
        silent = d.get("silent_s")
        span = f" for {format_duration(silent)}" if silent is not None else ""
        expected = format_duration(d["silent_after_s"])
        return f"No reading from the logger{span} (expected within {expected})"
    if kind == "sequence_gap":
        return (
            f"Logger {d['logger_id']} skipped {d['missing']} reading(s) "
            f"(seq {d['expected_seq']} to {d['received_seq'] - 1})"
        )
    if kind in ETA_MESSAGE_TYPES:
        return eta_text(f)
    if kind == "max_transit_exceeded":
        return f"Transit longer than {d['max_transit_h']:g} h since departure"
    if kind == "coi_mismatch":
        return (
            f"Custody event {d['event_id']} names COI {d['found_coi_id']}, "
            f"manifest has {d['expected_coi_id']}"
        )
    if kind == "custody_gap":
        return (
            f"Handoff {d['event_id']} from {d['from_party']} but custody was with "
            f"{d['expected_party']}"
        )
    if kind == "non_conformant_receipt":
        return f"Non-conformant condition recorded at {d['step']} ({d['event_id']})"
    return kind.replace("_", " ").capitalize()


def message(finding: Finding, custodian: tuple[str, str | None] | None) -> str:
    """The message of an alert, naming the custodian at the time it opened."""
    return _text(finding) + custodian_suffix(custodian)


def custodian_suffix(custodian: tuple[str, str | None] | None) -> str:
    """`` while with courier CUR-77`` (empty without a custodian)."""
    if custodian is None:
        return ""
    party, role = custodian
    return f" while with {role} {party}" if role else f" while with {party}"
