"""PerManifest: one derived value per live manifest (rule sets, route plans) at any fleet size."""

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


def test_an_entry_goes_with_its_manifest_and_keeps_none_alive() -> None:
    cache: PerManifest[str] = PerManifest()
    shipment, other = manifest(shipment_id="SHP-GONE"), manifest(shipment_id="SHP-KEPT")
    assert cache.put(shipment, "a") == "a" and cache.put(other, "b", tag=1) == "b"
    assert cache.get(shipment) == "a" and cache.get(other) is None and cache.get(other, 1) == "b"
    cache.put(shipment, "c")  # replaced: still one entry
    assert cache.get(shipment) == "c" and len(cache) == 2
    gone = weakref.ref(shipment)
    del shipment
    gc.collect()
    assert gone() is None and len(cache) == 1 and cache.get(other, 1) == "b"
