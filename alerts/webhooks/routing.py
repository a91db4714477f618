"""Which subscribers an alert goes to: pure functions of subscriber, alert and shipment sites."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.webhooks.subscriptions import Subscriber
from schemas.alert import ALERT_SEVERITIES, Alert

__all__ = ["Route", "Router", "ShipmentSites", "filters_pass", "matches", "route"]


@dataclass(frozen=True, slots=True)
class ShipmentSites:
    """Origin and destination site ids of a shipment (from its manifest)."""

    origin: str
    destination: str


@dataclass(frozen=True, slots=True)
class Route:
    """Where an alert goes now, and whether site subscribers still wait for the manifest."""

    subscribers: tuple[Subscriber, ...]
    awaiting_sites: bool


def filters_pass(subscriber: Subscriber, alert: Alert) -> bool:
    """``types`` and ``min_severity`` only (no scope)."""
    if "*" not in subscriber.types and alert.type not in subscriber.types:
        return False
    return ALERT_SEVERITIES.index(alert.severity) >= subscriber.severity_rank


def _in_scope(subscriber: Subscriber, alert: Alert, sites: ShipmentSites | None) -> bool:
    if subscriber.all_shipments:
        return True
    if (
        subscriber.party_id is not None
        and alert.custodian is not None
        and alert.custodian.party_id == subscriber.party_id
    ):
        return True
    return sites is not None and bool({sites.origin, sites.destination} & subscriber.sites)


def matches(subscriber: Subscriber, alert: Alert, sites: ShipmentSites | None) -> bool:
    """Whether ``subscriber`` receives ``alert``.

    A party subscriber matches on the alert's ``custodian`` (the engine sets it to whoever
    held custody at the time the alert opened), so a courier receives exactly the alerts of
    its custody period, including their later updates and resolution. A site subscriber
    matches when the shipment leaves from or goes to one of its sites."""
    return filters_pass(subscriber, alert) and _in_scope(subscriber, alert, sites)


def route(subscribers: tuple[Subscriber, ...], alert: Alert, sites: ShipmentSites | None) -> Route:
    """The subscribers of ``alert``. With ``sites`` unknown, ``awaiting_sites`` says whether
    a site subscriber might still match once the manifest is known."""
    chosen = tuple(s for s in subscribers if matches(s, alert, sites))
    awaiting = sites is None and any(
        s.sites and s not in chosen and filters_pass(s, alert) for s in subscribers
    )
    return Route(chosen, awaiting)


ROUTE_MEMO_SIZE = 65_536
"""Routes remembered by :class:`Router` (per type, severity, custodian and sites)."""


class Router:
    """The subscribers of one deployment indexed by site and party: :meth:`route` gives what
    :func:`route` gives, looking only at the subscribers an alert can concern. A route
    depends only on the alert's type, severity and custodian and the shipment's sites, so
    it is remembered per combination (alerts of one shipment repeat them)."""

    def __init__(self, subscribers: tuple[Subscriber, ...]) -> None:
        self.subscribers = subscribers
        self._order = {s.id: i for i, s in enumerate(subscribers)}
        self._everything = [s for s in subscribers if s.all_shipments]
        self._by_party: dict[str, list[Subscriber]] = {}
        self._by_site: dict[str, list[Subscriber]] = {}
        for s in subscribers:
            if s.party_id is not None:
                self._by_party.setdefault(s.party_id, []).append(s)
            for site in s.sites:
                self._by_site.setdefault(site, []).append(s)
        self._with_sites = [s for s in subscribers if s.sites]
        self._memo: dict[tuple[str, str, str | None, ShipmentSites | None], Route] = {}

    def route(self, alert: Alert, sites: ShipmentSites | None) -> Route:
        party = alert.custodian.party_id if alert.custodian is not None else None
        memo_key = (alert.type, alert.severity, party, sites)
        known = self._memo.get(memo_key)
        if known is None:
            if len(self._memo) >= ROUTE_MEMO_SIZE:
                self._memo.clear()
            known = self._memo[memo_key] = self._route(alert, sites)
        return known

    def _route(self, alert: Alert, sites: ShipmentSites | None) -> Route:
        candidates = {s.id: s for s in self._everything}
        if alert.custodian is not None:
            candidates.update((s.id, s) for s in self._by_party.get(alert.custodian.party_id, ()))
        if sites is not None:
            for site in {sites.origin, sites.destination}:
                candidates.update((s.id, s) for s in self._by_site.get(site, ()))
        chosen = tuple(
            s
            for s in sorted(candidates.values(), key=lambda s: self._order[s.id])
            if filters_pass(s, alert)
        )
        awaiting = sites is None and any(
            s.id not in candidates and filters_pass(s, alert) for s in self._with_sites
        )
        return Route(chosen, awaiting)
