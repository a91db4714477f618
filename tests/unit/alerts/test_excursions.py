"""Temperature rules: excursion, warning band, cumulative budget, at and around their limits."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.testing import at, manifest, reading, run
from schemas.telemetry import TelemetryReading

CRYO = manifest("cryo-150")
FRIDGE = manifest("fridge-2-8")


def temps(*pairs: tuple[float, float | None]) -> list[TelemetryReading]:
    return [reading(minute, temp) for minute, temp in pairs]


@pytest.mark.parametrize(
    ("temp", "fires"),
    [(-150.0, False), (-150.01, False), (-149.99, True), (-120.0, True)],
)
def test_cryo_excursion_fires_on_first_reading_past_upper_limit(temp: float, fires: bool) -> None:
    result = run([CRYO, *temps((0, -180), (10, temp))])
    alerts = result.of_type("temperature_excursion")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].opened_at == at(10)
        assert alerts[0].status == "open"
        assert alerts[0].severity == "critical"
        assert alerts[0].details["limit_c"] == -150
        assert alerts[0].details["peak_c"] == temp


def test_episode_duration_is_from_opening_to_resolving_reading() -> None:
    result = run([CRYO, *temps((0, -180), (10, -149), (20, -141.2), (30, -149.5), (50, -170))])
    (alert,) = result.of_type("temperature_excursion")
    assert alert.alert_id == "SHP-T1:temperature_excursion:1"
    assert alert.status == "resolved"
    assert (alert.opened_at, alert.resolved_at) == (at(10), at(50))
    assert alert.details["duration_s"] == 40 * 60
    assert alert.details["peak_c"] == -141.2
    assert alert.details["cumulative_out_of_range_s"] == 40 * 60
    assert "40 min" in alert.message and "-141.2" in alert.message


@pytest.mark.parametrize(
    ("back_to", "resolved"),
    [(-150.0, False), (-151.99, False), (-152.0, True), (-160.0, True)],
)
def test_hysteresis_keeps_episode_open_until_inside_by_margin(
    back_to: float, resolved: bool
) -> None:
    result = run([CRYO, *temps((0, -180), (10, -149), (20, back_to))])
    (alert,) = result.of_type("temperature_excursion")
    assert (alert.status == "resolved") is resolved
    if resolved:
        assert alert.resolved_at == at(20)


@pytest.mark.parametrize(
    ("minutes_past", "fires"),
    [(10, False), (14.99, False), (15, True), (20, True)],
)
def test_alarm_delay_counts_time_held_until_next_reading(minutes_past: float, fires: bool) -> None:
    # fridge-2-8: upper 8 °C, 900 s delay, 0.5 °C hysteresis
    result = run([FRIDGE, *temps((0, 5), (5, 8.4), (5 + minutes_past, 8.6))])
    alerts = result.of_type("temperature_excursion")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].opened_at == at(5)
        assert alerts[0].status == "open"


def test_short_run_that_ends_after_delay_raises_a_resolved_alert() -> None:
    result = run([FRIDGE, *temps((0, 5), (5, 8.4), (25, 5))])
    (alert,) = result.of_type("temperature_excursion")
    assert alert.version == 1
    assert alert.status == "resolved"
    assert alert.details["duration_s"] == 20 * 60


def test_short_run_that_ends_before_delay_raises_nothing() -> None:
    result = run([FRIDGE, *temps((0, 5), (5, 8.4), (10, 5), (30, 5))])
    assert result.of_type("temperature_excursion") == []


@pytest.mark.parametrize(("temp", "fires"), [(2.0, False), (1.9, True)])
def test_lower_limit(temp: float, fires: bool) -> None:
    result = run([FRIDGE, *temps((0, 5), (1, temp), (20, temp))])
    alerts = result.of_type("temperature_excursion")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].details["limit_c"] == 2
        assert "below 2" in alerts[0].message


def test_interval_summary_max_counts() -> None:
    summary = reading(10, None, temperature_min_c=-185.0, temperature_max_c=-148.0)
    result = run([CRYO, reading(0, -180), summary, reading(20, -180)])
    (alert,) = result.of_type("temperature_excursion")
    assert alert.details["peak_c"] == -148.0
    assert alert.resolved_at == at(20)


def test_location_only_ping_does_not_affect_temperature_rules() -> None:
    ping = reading(15, None, location=(41.0, -75.0))
    result = run([CRYO, *temps((0, -180), (10, -149)), ping, reading(20, -180)])
    (alert,) = result.of_type("temperature_excursion")
    assert alert.resolved_at == at(20)
    assert alert.location is None  # the location came after the excursion opened


def test_alert_carries_last_known_location_at_opening() -> None:
    result = run([CRYO, reading(0, -180, location=(41.2, -75.9)), reading(10, -149)])
    (alert,) = result.of_type("temperature_excursion")
    assert alert.location is not None
    assert (alert.location.lat, alert.location.lon) == (41.2, -75.9)


WARNING_PROFILE: dict[str, Any] = {"warning_delay_s": 600}


@pytest.mark.parametrize(
    ("temps_", "fires"),
    [
        (((0, -170), (10, -159), (19, -170)), False),
        (((0, -170), (10, -159), (20, -170)), True),
        (((0, -170), (10, -160), (30, -170)), False),
    ],
)
def test_warning_band_with_delay(temps_: tuple[tuple[float, float], ...], fires: bool) -> None:
    result = run([manifest("cryo-150", profile=WARNING_PROFILE), *temps(*temps_)])
    alerts = result.of_type("temperature_warning")
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].severity == "warning"
        assert alerts[0].details["limit_c"] == -160
        assert result.of_type("temperature_excursion") == []


@pytest.mark.parametrize(
    ("budget_min", "reached_at"), [(31, None), (30, 55), (20, 55), (15, 25), (14, 25)]
)
def test_cumulative_budget_never_resets(budget_min: float, reached_at: float | None) -> None:
    profile = {"cumulative_budget_s": budget_min * 60, "alarm_delay_s": 3600}
    events = [
        manifest("fridge-2-8", profile=profile),
        *temps((0, 5), (10, 9), (25, 5), (40, 9), (55, 5), (70, 5)),
    ]
    result = run(events)
    alerts = result.of_type("out_of_range_budget")
    assert result.of_type("temperature_excursion") == []  # no run lasted the 1 h delay
    assert bool(alerts) is (reached_at is not None)
    if reached_at is not None:
        (alert,) = alerts
        assert alert.opened_at == at(reached_at)
        assert alert.details["cumulative_out_of_range_s"] >= budget_min * 60
        assert alert.status == "open"
