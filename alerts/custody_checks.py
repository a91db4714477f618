"""Custody rules (coi_mismatch, custody_gap, non_conformant_receipt) and the custodian timeline."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any, NamedTuple

from alerts.findings import Finding
from schemas.custody import CustodyEvent

__all__ = ["CompactCustody", "compact_custody", "custodian_at", "custody_findings"]


class CompactCustody(NamedTuple):
    """The fields the rules use; ``t`` is ``occurred_at`` in epoch seconds."""

    t: float
    event_id: str
    step: str
    coi_id: str | None
    from_id: str | None
    from_role: str | None
    to_id: str | None
    to_role: str | None
    site_id: str | None
    condition: str | None

    @property
    def sort_key(self) -> tuple[float, str]:
        """Position in event time; ties broken by event id."""
        return (self.t, self.event_id)

    @classmethod
    def from_list(cls, data: list[Any]) -> CompactCustody:
        """Inverse of JSON-dumping the tuple."""
        return cls(*data)


def compact_custody(event: CustodyEvent) -> CompactCustody:
    """The compact form of a decoded custody event."""
    src, dst = event.from_party, event.to_party
    return CompactCustody(
        event.occurred_at.timestamp(),
        event.event_id,
        event.step,
        event.coi_id,
        None if src is None else src.party_id,
        None if src is None else src.role,
        None if dst is None else dst.party_id,
        None if dst is None else dst.role,
        event.site_id,
        event.condition,
    )


def custody_findings(events: Sequence[CompactCustody], coi_id: str) -> list[Finding]:
    """Findings of the custody rules over events sorted by ``(occurred_at, event_id)``.

    - ``coi_mismatch``: the event names a ``coi_id`` other than the manifest's.
    - ``non_conformant_receipt``: the event's condition is ``non_conformant``.
    - ``custody_gap``: a handoff whose ``from_party`` is not the custodian at that time (the
      ``to_party`` of the latest earlier handoff). The first handoff sets the custodian; a
      handoff without ``from_party`` is not checked.

    These alerts stay open: they call for a human decision, not for a later reading.
    """
    found: list[Finding] = []
    current: str | None = None
    for e in events:
        base = {"event_id": e.event_id, "step": e.step, "site_id": e.site_id}
        if e.coi_id is not None and e.coi_id != coi_id:
            details = {**base, "expected_coi_id": coi_id, "found_coi_id": e.coi_id}
            found.append(Finding("coi_mismatch", f"event:{e.event_id}", e.t, e.t, None, details))
        if e.condition == "non_conformant":
            found.append(
                Finding("non_conformant_receipt", f"event:{e.event_id}", e.t, e.t, None, base)
            )
        if e.to_id is None:
            continue
        if current is not None and e.from_id is not None and e.from_id != current:
            details = {
                **base,
                "expected_party": current,
                "from_party": e.from_id,
                "to_party": e.to_id,
            }
            found.append(Finding("custody_gap", f"event:{e.event_id}", e.t, e.t, None, details))
        current = e.to_id
    return found


def custodian_at(
    handoffs: Sequence[CompactCustody], times: Sequence[float], t: float
) -> tuple[str, str | None] | None:
    """``(party_id, role)`` of the custodian at ``t``: the latest handoff at or before it.

    ``handoffs`` are the handoff events sorted by time and ``times`` their ``t`` values.
    """
    i = bisect_right(times, t)
    if i == 0:
        return None
    h = handoffs[i - 1]
    assert h.to_id is not None
    return (h.to_id, h.to_role)
