"""PerManifest: one derived value per manifest (rule sets, route plans) at any fleet size."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

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
