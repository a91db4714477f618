"""Messages of the ETA alerts (ids, sites and times only: never a patient name)."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.findings import Finding

__all__ = ["ETA_MESSAGE_TYPES", "eta_text"]

ETA_MESSAGE_TYPES = frozenset({"late_delivery_risk", "hold_time_risk", "dwell_exceeded"})


def _hhmm(epoch_s: object) -> str:
    if not isinstance(epoch_s, int | float):
        return "?"
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def eta_text(f: Finding) -> str:
    """The message text of an ETA finding (the lifecycle appends the custodian)."""
    d = f.details
    if f.type == "late_delivery_risk":
        if "arrived_at" in d:
            late = float(d.get("late_by_s", 0.0))
            return (
                f"Arrived {_duration(late)} after the promised end"
                if late > 0
                else "Arrived within the promised window"
            )
        which = "Median" if d.get("risk") == "late_p50" else "Pessimistic"
        eta = d.get("eta_p50_at") if d.get("risk") == "late_p50" else d.get("eta_p90_at")
        text = (
            f"{which} ETA {_hhmm(eta)} is past the promised end {_hhmm(d.get('promised_end_at'))}"
        )
        return text + (" (risk cleared)" if f.resolved_at is not None else "")
    if f.type == "hold_time_risk":
        text = (
            f"Dry shipper hold ends {_hhmm(d.get('hold_end_at'))}, before the pessimistic ETA "
            f"{_hhmm(d.get('eta_p90_at'))} plus {_duration(float(d.get('receipt_buffer_s', 0)))} "
            "for receipt"
        )
        return text + (" (risk cleared)" if f.resolved_at is not None else "")
    if f.type == "dwell_exceeded":
        text = (
            f"Waiting at {d.get('site_id')} since {_hhmm(d.get('dwell_since_at'))}, "
            f"past its norm ({_hhmm(d.get('norm_until_at'))})"
        )
        return text + (" (left the site)" if f.resolved_at is not None else "")
    return f.type.replace("_", " ").capitalize()
