"""Routing: hospitals by site, couriers by custody period, type and severity filters."""

from __future__ import annotations

import itertools

import pytest
from webhook_builders import alert, subscriber

from alerts.webhooks import routing
from alerts.webhooks.routing import Router, ShipmentSites, matches, route

BOS = ShipmentSites(origin="HUB-NE", destination="HOSP-BOS-01")


def test_a_hospital_receives_its_own_shipments_only() -> None:
    bos = subscriber(id="bos", all_shipments=False, sites=["HOSP-BOS-01"])
    nyc = subscriber(id="nyc", all_shipments=False, sites=["HOSP-NYC-01"])
    assert matches(bos, alert(), BOS)
    assert not matches(nyc, alert(), BOS)
    assert not matches(bos, alert(), None)  # sites unknown: no guess
    hub = subscriber(id="hub", all_shipments=False, sites=["HUB-NE"])
    assert matches(hub, alert(), BOS)  # from the site counts too


def test_a_courier_receives_alerts_of_its_custody_period_only() -> None:
    courier = subscriber(id="c77", all_shipments=False, party_id="CUR-77")
    assert matches(courier, alert(), BOS)
    assert matches(courier, alert(), None)  # needs no manifest
    later = alert(custodian={"party_id": "HOSP-BOS-01", "role": "hospital"})
    assert not matches(courier, later, BOS)
    assert not matches(courier, alert(custodian=None), BOS)


def test_types_and_minimum_severity_filter() -> None:
    only_excursions = subscriber(types=["temperature_excursion"])
    assert matches(only_excursions, alert(), BOS)
    assert not matches(only_excursions, alert(type="lid_open", severity="warning"), BOS)
    warning_up = subscriber(min_severity="warning")
    assert matches(warning_up, alert(type="lid_open", severity="warning"), BOS)
    assert not matches(warning_up, alert(type="sequence_gap", severity="info"), BOS)
    assert not matches(subscriber(min_severity="critical"), alert(severity="warning"), BOS)


def test_route_waits_for_sites_only_when_a_site_subscriber_could_match() -> None:
    bos = subscriber(id="bos", all_shipments=False, sites=["HOSP-BOS-01"])
    courier = subscriber(id="c77", all_shipments=False, party_id="CUR-77")
    early = route((bos, courier), alert(), None)
    assert [s.id for s in early.subscribers] == ["c77"]
    assert early.awaiting_sites
    known = route((bos, courier), alert(), BOS)
    assert [s.id for s in known.subscribers] == ["bos", "c77"]
    assert not known.awaiting_sites
    picky = subscriber(id="bos", all_shipments=False, sites=["HOSP-BOS-01"], types=["lid_open"])
    assert not route((picky,), alert(), None).awaiting_sites


def test_the_indexed_router_agrees_with_route_on_every_combination() -> None:
    subscribers = (
        subscriber(id="all", min_severity="critical"),
        subscriber(id="bos", all_shipments=False, sites=["HOSP-BOS-01"]),
        subscriber(id="hub", all_shipments=False, sites=["HUB-NE"], types=["lid_open"]),
        subscriber(id="c77", all_shipments=False, party_id="CUR-77", min_severity="warning"),
        subscriber(id="both", all_shipments=False, party_id="CUR-88", sites=["HOSP-NYC-01"]),
    )
    router = Router(subscribers)
    custodians = [None, {"party_id": "CUR-77"}, {"party_id": "CUR-88"}, {"party_id": "X"}]
    site_options = [None, BOS, ShipmentSites("HUB-NE", "HOSP-NYC-01"), ShipmentSites("A", "B")]
    kinds = [
        ("temperature_excursion", "critical"),
        ("lid_open", "warning"),
        ("sequence_gap", "info"),
    ]
    combinations = list(itertools.product(custodians, site_options, kinds))
    for custodian, sites, (kind, severity) in [*combinations, *reversed(combinations)]:
        a = alert(custodian=custodian, type=kind, severity=severity)
        assert router.route(a, sites) == route(subscribers, a, sites)  # fresh, then remembered


def test_the_router_stays_right_when_its_memo_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "ROUTE_MEMO_SIZE", 2)
    subscribers = (
        subscriber(id="bos", all_shipments=False, sites=["HOSP-BOS-01"]),
        subscriber(id="c77", all_shipments=False, party_id="CUR-77"),
    )
    router = Router(subscribers)
    site_options = [None, BOS, ShipmentSites("A", "B"), BOS, None]
    for sites in site_options:
        assert router.route(alert(), sites) == route(subscribers, alert(), sites)
    assert len(router._memo) <= 2
