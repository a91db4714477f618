"""What the pages show: durations, ETA against the promise, chart inputs, KPI bars, limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from schemas.profiles import BUILTIN_PROFILES, ProductProfile
from streams.dashboard import present
from streams.dashboard.limits import effective_profile

T0 = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (40, "40s"), (720, "12m"), (3 * 3600 + 300, "3h 05m"), (-93600, "1d 2h")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert present.duration(seconds) == text


def test_eta_delta_says_late_early_or_none() -> None:
    assert present.eta_delta(5400) == ("1h 30m late", "late")
    assert present.eta_delta(-600) == ("10m early", "early")
    assert present.eta_delta(None) == ("no ETA yet", "none")


def test_temperature_points_fall_back_to_an_interval_maximum() -> None:
    readings = [
        {"recorded_at": T0, "temperature_c": -180.0},
        {
            "recorded_at": T0 + timedelta(minutes=10),
            "temperature_c": None,
            "temperature_max_c": -170.0,
        },
        {"recorded_at": T0 + timedelta(minutes=20), "temperature_c": None},
    ]
    assert present.temperature_points(readings) == [
        (T0, -180.0),
        (T0 + timedelta(minutes=10), -170.0),
    ]


def _alert(kind: str, opened: datetime, resolved: datetime | None) -> dict[str, object]:
    return {"alert_type": kind, "opened_at": opened, "updated_at": opened, "resolved_at": resolved}


def test_excursion_periods_end_at_resolution_or_at_the_last_reading() -> None:
    last = T0 + timedelta(hours=5)
    alerts = [
        _alert("temperature_excursion", T0, T0 + timedelta(minutes=40)),
        _alert("temperature_warning", T0 + timedelta(hours=2), None),
        _alert("shock", T0, None),
    ]
    periods = present.excursion_periods(alerts, last)
    assert [(p.kind, p.start, p.end) for p in periods] == [
        ("excursion", T0, T0 + timedelta(minutes=40)),
        ("warning", T0 + timedelta(hours=2), last),
    ]


def test_profile_limits_lists_alarm_and_warning_lines() -> None:
    limits = present.profile_limits(BUILTIN_PROFILES["fridge-2-8"])
    assert {(lim.kind, lim.side, lim.value) for lim in limits} == {
        ("alarm", "upper", 8.0),
        ("alarm", "lower", 2.0),
    }
    assert present.profile_limits(None) == []


def test_kpi_bars_largest_first_with_ties_by_name() -> None:
    rows = [
        {"dimension": "lane", "dimension_value": "B", "x": 10.0},
        {"dimension": "lane", "dimension_value": "A", "x": 10.0},
        {"dimension": "lane", "dimension_value": "C", "x": 30.0},
        {"dimension": "courier", "dimension_value": "Z", "x": 99.0},
        {"dimension": "lane", "dimension_value": "D", "x": None},
    ]
    bars = present.kpi_bars(rows, "lane", "x", text=lambda r: f"{r['x']:.0f}!")
    assert [(b.label, b.value, b.text) for b in bars] == [
        ("C", 30.0, "30!"),
        ("A", 10.0, "10!"),
        ("B", 10.0, "10!"),
    ]


def test_stored_inline_profile_overrides_only_what_it_changed() -> None:
    # the sink stores the whole inline profile, defaults included
    inline = ProductProfile(cumulative_budget_s=2700, max_transit_h=30).model_dump()
    merged = effective_profile("fridge-2-8", json.dumps(inline))
    assert merged is not None
    builtin = BUILTIN_PROFILES["fridge-2-8"]
    assert (merged.upper_c, merged.lower_c) == (builtin.upper_c, builtin.lower_c)
    assert merged.alarm_delay_s == builtin.alarm_delay_s
    assert (merged.cumulative_budget_s, merged.max_transit_h) == (2700, 30)


def test_profile_without_inline_is_the_builtin_and_unknown_names_are_none() -> None:
    assert effective_profile("cryo-150", None) == BUILTIN_PROFILES["cryo-150"]
    assert effective_profile("no-such", None) is None
    custom = effective_profile("no-such", json.dumps({"upper_c": 30.0, "lower_c": 10.0}))
    assert custom is not None and (custom.upper_c, custom.lower_c) == (30.0, 10.0)
    assert effective_profile("cryo-150", "{broken") == BUILTIN_PROFILES["cryo-150"]
