"""The max_transit_exceeded rule: time since departure past the profile's ``max_transit_h``."""

from __future__ import annotations

from collections.abc import Sequence

from alerts.custody_checks import CompactCustody
from alerts.findings import Finding

__all__ = ["DELIVERY_STEPS", "departure_and_delivery", "transit_finding"]

DELIVERY_STEPS = frozenset({"receiving", "accepting"})
"""Custody steps that end the transit when they happen at the destination: the event's
``site_id`` or its ``to_party`` is the manifest's destination site."""


def departure_and_delivery(
    events: Sequence[CompactCustody], destination_site: str
) -> tuple[float | None, float | None]:
    """The first ``departing`` time and the first delivery at the destination after it."""
    departed = next((e.t for e in events if e.step == "departing"), None)
    if departed is None:
        return None, None
    delivered = next(
        (
            e.t
            for e in events
            if e.step in DELIVERY_STEPS
            and e.t >= departed
            and destination_site in (e.site_id, e.to_id)
        ),
        None,
    )
    return departed, delivered


def transit_finding(
    departed: float | None, delivered: float | None, latest: float | None, max_transit_s: float
) -> Finding | None:
    """The finding once an observed time (or the delivery) lies past departure + the limit.

    ``latest`` is the latest time known: readings', custody events' or the live clock. The
    alert opens at the deadline itself and resolves at delivery, reporting the transit time.
    """
    if departed is None:
        return None
    deadline = departed + max_transit_s
    end = delivered if delivered is not None else latest
    if end is None or end <= deadline:
        return None
    details: dict[str, float] = {
        "departed_at": departed,
        "max_transit_h": max_transit_s / 3600.0,
    }
    if delivered is not None:
        details["transit_s"] = delivered - departed
    return Finding(
        "max_transit_exceeded", "transit", deadline, delivered or deadline, delivered, details
    )
