"""rules_for: one rule set per live manifest, at any fleet size, and none kept for a dead one."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

import alerts.rules
from alerts.config import RuleConfig
from alerts.rules import RuleSet, rules_for
from alerts.testing import manifest


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The manifests' profiles ``_build`` is called for, from now on."""
    calls: list[Any] = []
    build = alerts.rules._build

    def counted(*args: Any) -> RuleSet:
        calls.append(args[0])
        return build(*args)

    monkeypatch.setattr(alerts.rules, "_build", counted)
    return calls


def test_a_fleet_of_manifests_builds_each_rule_set_once(builds: list[Any]) -> None:
    config = RuleConfig()
    fleet = [manifest("cryo-150", shipment_id=f"SHP-{i:05d}") for i in range(5_000)]
    first = [rules_for(m, config) for m in fleet]
    again = [rules_for(m, config) for m in fleet]  # every reading asks again
    assert len(builds) == len(fleet)
    assert all(a is b for a, b in zip(first, again, strict=True))
    other = RuleConfig(silent_factor=9.0)
    assert rules_for(fleet[0], other).silent_after_s != first[0].silent_after_s
    assert len(builds) == len(fleet) + 1


def test_the_cache_does_not_keep_a_manifest_alive() -> None:
    shipment = manifest("cryo-150", shipment_id="SHP-GONE")
    rules_for(shipment, RuleConfig())
    gone = weakref.ref(shipment)
    entries = len(alerts.rules._BY_MANIFEST)
    del shipment
    gc.collect()
    assert gone() is None and len(alerts.rules._BY_MANIFEST) == entries - 1
