"""max_transit_exceeded: time since departure past the profile's max_transit_h."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.config import RuleConfig
from alerts.engine import tick
from alerts.testing import at, custody, manifest, reading, run

LIMITED = manifest("fridge-2-8", profile={"max_transit_h": 30})


@pytest.mark.parametrize(("seen_h", "fires"), [(30, False), (30.1, True)])
def test_max_transit_from_departure(seen_h: float, fires: bool) -> None:
    events = [LIMITED, custody(0, "departing", "HUB-NE", "CUR-77"), reading(seen_h * 60, 5)]
    alerts = run(events).of_type("max_transit_exceeded")  # type: ignore[arg-type]
    assert bool(alerts) is fires
    if fires:
        (alert,) = alerts
        assert alert.opened_at == at(30 * 60)
        assert alert.status == "open"
        assert alert.severity == "critical"


def test_delivery_after_limit_resolves_with_transit_time() -> None:
    events = [
        LIMITED,
        custody(0, "departing", "HUB-NE", "CUR-77"),
        reading(31 * 60, 5),
        custody(32 * 60, "receiving", "CUR-77", "HOSP-1", site_id="HOSP-1"),
    ]
    (alert,) = run(events).of_type("max_transit_exceeded")  # type: ignore[arg-type]
    assert alert.status == "resolved"
    assert alert.resolved_at == at(32 * 60)
    assert alert.details["transit_s"] == 32 * 3600


def test_delivery_in_time_raises_nothing() -> None:
    events = [
        LIMITED,
        custody(0, "departing", "HUB-NE", "CUR-77"),
        custody(29 * 60, "receiving", "CUR-77", "HOSP-1", site_id="HOSP-1"),
        reading(40 * 60, 5),
    ]
    assert run(events).of_type("max_transit_exceeded") == []  # type: ignore[arg-type]


def test_no_limit_no_alert() -> None:
    events = [
        manifest("cryo-150"),
        custody(0, "departing", "HUB-NE", "CUR-77"),
        reading(99 * 60, -180),
    ]
    assert run(events).of_type("max_transit_exceeded") == []  # type: ignore[arg-type]


def test_live_clock_raises_it_without_readings() -> None:
    config = RuleConfig()
    result = run([LIMITED, custody(0, "departing", "HUB-NE", "CUR-77")], config)
    assert tick(result.state, at(30 * 60), config).alerts == []
    (alert,) = tick(result.state, at(30 * 60) + timedelta(seconds=1), config).alerts
    assert alert.type == "max_transit_exceeded"
