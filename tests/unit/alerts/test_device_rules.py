"""Device rules: lid_open, shock, tilt, low_battery, logger_silent, sequence_gap."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerts.config import RuleConfig
from alerts.engine import tick
from alerts.testing import at, manifest, reading, run

CRYO = manifest("cryo-150")


def with_field(name: str, *values: Any, step_min: float = 10) -> list[Any]:
    return [reading(i * step_min, -180, **{name: v}) for i, v in enumerate(values)]


def test_lid_open_episode_opens_and_resolves() -> None:
    result = run([CRYO, *with_field("lid_open", False, True, True, False)])
    (alert,) = result.of_type("lid_open")
    assert alert.severity == "warning"
    assert (alert.opened_at, alert.resolved_at) == (at(10), at(30))
    assert alert.details["duration_s"] == 1200


def test_lid_state_unknown_does_not_close_episode() -> None:
    result = run([CRYO, *with_field("lid_open", True, None)])
    (alert,) = result.of_type("lid_open")
    assert alert.status == "open"


@pytest.mark.parametrize(("g", "fires"), [(9.99, False), (10.0, True), (25.0, True)])
def test_shock_at_or_above_threshold(g: float, fires: bool) -> None:
    result = run([CRYO, *with_field("shock_g", 0.2, g, 0.1)])
    alerts = result.of_type("shock")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].details["peak_g"] == g
        assert alerts[0].details["limit_g"] == 10.0
        assert alerts[0].status == "resolved"


def test_shock_threshold_is_configurable() -> None:
    result = run([CRYO, *with_field("shock_g", 0.2, 4.0)], RuleConfig(shock_g=3.0))
    assert len(result.of_type("shock")) == 1


@pytest.mark.parametrize(
    ("angle", "held_min", "fires"),
    [(45.0, 10, False), (46.0, 4.9, False), (46.0, 5, True), (90.0, 30, True)],
)
def test_tilt_past_angle_for_minimum_time(angle: float, held_min: float, fires: bool) -> None:
    events = [reading(0, -180, tilt_deg=3.0), reading(1, -180, tilt_deg=angle)]
    events.append(reading(1 + held_min, -180, tilt_deg=angle))
    result = run([CRYO, *events])
    alerts = result.of_type("tilt")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].opened_at == at(1)
        assert "hold time" in alerts[0].message


@pytest.mark.parametrize(("pct", "fires"), [(20.0, False), (19.9, True), (3.0, True)])
def test_low_battery_below_percentage(pct: float, fires: bool) -> None:
    result = run([CRYO, *with_field("battery_pct", 80.0, pct)])
    alerts = result.of_type("low_battery")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].details["peak_pct"] == pct


@pytest.mark.parametrize(("gap_min", "fires"), [(20, False), (20.02, True), (90, True)])
def test_logger_silent_after_twice_the_interval(gap_min: float, fires: bool) -> None:
    result = run([CRYO, reading(0, -180), reading(gap_min, -180)])
    alerts = result.of_type("logger_silent")
    assert bool(alerts) is fires
    if fires:
        (alert,) = alerts
        assert alert.opened_at == at(20)
        assert alert.resolved_at == at(gap_min)
        assert alert.details["silent_s"] == pytest.approx(gap_min * 60)


def test_tick_opens_ongoing_silence_and_next_reading_resolves_same_alert() -> None:
    config = RuleConfig()
    result = run([CRYO, reading(0, -180)], config)
    assert tick(result.state, at(20), config).alerts == []
    step = tick(result.state, at(21), config)
    (opened,) = step.alerts
    assert (opened.type, opened.status, opened.opened_at) == ("logger_silent", "open", at(20))
    assert tick(result.state, at(25), config).alerts == []  # no change, no new version
    later = run([reading(45, -180)], config, state=result.state)
    (resolved,) = later.alerts
    assert resolved.alert_id == opened.alert_id
    assert (resolved.version, resolved.status, resolved.resolved_at) == (2, "resolved", at(45))


def test_silence_factor_is_configurable() -> None:
    result = run([CRYO, reading(0, -180), reading(11, -180)], RuleConfig(silent_factor=1.0))
    assert len(result.of_type("logger_silent")) == 1


@pytest.mark.parametrize(
    ("seqs", "missing"),
    [((1, 2, 3), []), ((1, 2, 5), [(3, 2)]), ((1, 3, 4, 7), [(2, 1), (5, 2)]), ((8, 9, 1, 2), [])],
)
def test_sequence_gap_per_logger(seqs: tuple[int, ...], missing: list[tuple[int, int]]) -> None:
    events = [reading(i * 10, -180, seq=s) for i, s in enumerate(seqs)]
    result = run([CRYO, *events])
    found = [
        (a.details["expected_seq"], a.details["missing"]) for a in result.of_type("sequence_gap")
    ]
    assert found == missing
    assert all(a.severity == "info" for a in result.of_type("sequence_gap"))


def test_sequence_is_tracked_per_logger() -> None:
    events = [
        reading(0, -180, seq=1, logger_id="A"),
        reading(1, -180, seq=7, logger_id="B"),
        reading(10, -180, seq=2, logger_id="A"),
        reading(11, -180, seq=8, logger_id="B"),
    ]
    assert run([CRYO, *events]).of_type("sequence_gap") == []


def test_device_rules_ignore_readings_without_the_field() -> None:
    result = run([CRYO, reading(0, -180), reading(10, -180, location=(40.44, -79.99))])
    assert result.final() == {}


def test_tick_before_manifest_or_without_state_is_harmless() -> None:
    assert tick(None, at(0), RuleConfig()).alerts == []
    result = run([reading(0, -180)])
    assert tick(result.state, at(0) + timedelta(minutes=1), RuleConfig()).dead_letters == []
