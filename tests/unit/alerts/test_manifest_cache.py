"""PerManifest: one derived value per manifest (rule sets, route plans) at any fleet size."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

import alerts.eta_route
import alerts.rules
from alerts.config import RuleConfig
from alerts.eta_route import _plan
from alerts.manifest_cache import PerManifest
from alerts.rules import RuleSet, rules_for
from alerts.testing import manifest

FLEET = 5_000
"""More shipments than the 4,096 entries the earlier caches were cleared at."""


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The profiles ``alerts.rules._build`` is called for, from now on."""
    calls: list[Any] = []
    build = alerts.rules._build

    def counted(*args: Any) -> RuleSet:
        calls.append(args[0])
        return build(*args)

    monkeypatch.setattr(alerts.rules, "_build", counted)
    return calls


def _fleet() -> list[Any]:
    return [manifest("cryo-150", shipment_id=f"SHP-{i:05d}") for i in range(FLEET)]


def test_a_fleet_of_manifests_builds_each_rule_set_once(builds: list[Any]) -> None:
    config = RuleConfig()
    fleet = _fleet()
    first = [rules_for(m, config) for m in fleet]
    again = [rules_for(m, config) for m in fleet]  # every reading asks again
    assert len(builds) == FLEET
    assert all(a is b for a, b in zip(first, again, strict=True))
    other = RuleConfig(silent_factor=9.0)  # another config: built for it
    assert rules_for(fleet[0], other).silent_after_s != first[0].silent_after_s
    assert len(builds) == FLEET + 1


def test_a_fleet_of_manifests_plans_each_route_once() -> None:
    fleet = _fleet()
    first = [_plan(m) for m in fleet]
    assert all(_plan(m) is p for m, p in zip(fleet, first, strict=True))


def test_manifests_of_one_route_share_its_plan_and_other_routes_get_their_own() -> None:
    fleet = _fleet()  # one route: the same sites, no legs
    assert len({id(_plan(m)) for m in fleet}) == 1
    shared = _plan(fleet[0])
    assert shared.coords == {"HUB-NE": (40.44, -79.99), "HOSP-1": (42.3, -71.1)}
    assert [(leg.mode, leg.from_site, leg.to_site) for leg in shared.legs] == [
        ("road", "HUB-NE", "HOSP-1")
    ]
    moved = {"site_id": "HOSP-1", "role": "hospital", "lat": 42.4, "lon": -71.1}
    elsewhere = _plan(manifest(destination=moved))  # same id, other coordinates
    assert elsewhere is not shared and elsewhere.coords["HOSP-1"] == (42.4, -71.1)
    flown = [
        {
            "mode": "air",
            "from_site": "HUB-NE",
            "to_site": "HOSP-1",
            "scheduled_departure": "2026-01-02T10:00:00Z",
            "scheduled_arrival": "2026-01-02T12:30:00Z",
        }
    ]
    by_air = [_plan(manifest(shipment_id=f"SHP-AIR-{i}", legs=flown)) for i in range(3)]
    assert by_air[0] is by_air[1] is by_air[2] and by_air[0] is not shared
    assert by_air[0].legs[0].mode == "air" and by_air[0].legs[0].planned_s == 9_000.0


def test_plans_past_the_shared_routes_bound_are_still_right() -> None:
    bound = alerts.eta_route.ROUTES_SHARED
    fleet = [
        manifest(
            shipment_id=f"SHP-{i:05d}",
            destination={"site_id": f"HOSP-{i}", "role": "hospital", "lat": 40.0, "lon": i / 100},
        )
        for i in range(bound + 10)
    ]
    plans = [_plan(m) for m in fleet]
    assert len({id(p) for p in plans}) == len(fleet)  # every route its own plan
    assert all(
        p.coords[f"HOSP-{i}"] == (40.0, i / 100) and p.legs[0].to_site == f"HOSP-{i}"
        for i, p in enumerate(plans)
    )
    assert len(alerts.eta_route._ROUTES) <= bound  # the shared plans stay bounded
    again = manifest(shipment_id="SHP-AGAIN", destination=fleet[-1].destination.model_dump())
    assert _plan(again) is plans[-1]  # a route planned after the clear is shared again


def test_a_value_goes_with_its_manifest_and_keeps_none_alive() -> None:
    cache: PerManifest[str] = PerManifest("test")
    shipment, other = manifest(shipment_id="SHP-GONE"), manifest(shipment_id="SHP-KEPT")
    assert cache.put(shipment, "a") == "a" and cache.put(other, "b", tag=1) == "b"
    assert cache.get(shipment) == "a" and cache.get(other) is None and cache.get(other, 1) == "b"
    cache.put(shipment, "c")  # replaced
    assert cache.get(shipment) == "c"
    gone = weakref.ref(shipment)
    del shipment
    gc.collect()
    assert gone() is None and cache.get(other, 1) == "b"


def test_a_value_is_invisible_to_the_manifests_fields_and_not_taken_by_a_copy() -> None:
    cache: PerManifest[str] = PerManifest("test")
    shipment = manifest()
    bare = manifest()
    cache.put(shipment, "derived")
    assert shipment == bare and shipment.model_dump_json() == bare.model_dump_json()
    assert repr(shipment) == repr(bare)
    changed = shipment.model_copy(update={"reporting_interval_s": 60.0})
    assert cache.get(changed) is None and cache.get(shipment) == "derived"
