"""SVG charts: ticks, decimation, gaps, limit lines, shaded periods, escaping."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from streams.dashboard.charts import (
    Bar,
    Limit,
    Period,
    Site,
    bar_chart,
    decimate,
    eta_window,
    nice_ticks,
    route_plot,
    split_at_gaps,
    temperature_chart,
    time_ticks,
)

T0 = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


def _series(values: list[float], step_min: int = 10) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(minutes=step_min * i), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(("low", "high"), [(-183.2, -141.7), (2.1, 8.4), (0.0, 0.3), (-5, 5)])
def test_nice_ticks_cover_the_range_with_one_round_step(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert 3 <= len(ticks) <= 11
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    assert ticks[0] - step < low <= ticks[0] + 1e-9
    assert ticks[-1] <= high + 1e-9 < ticks[-1] + step


def test_time_ticks_are_round_and_inside_the_span() -> None:
    start, end = T0 + timedelta(minutes=7), T0 + timedelta(hours=9, minutes=3)
    ticks = time_ticks(start, end)
    assert 2 <= len(ticks) <= 8
    assert all(start <= t <= end for t in ticks)
    assert all(t.minute == 0 and t.second == 0 for t in ticks)


def test_decimate_keeps_every_peak() -> None:
    values = [-180.0] * 5000
    values[1234] = -120.0
    values[4321] = -199.0
    kept = decimate(_series(values), 200)
    assert len(kept) <= 202
    kept_values = [v for _, v in kept]
    assert max(kept_values) == -120.0
    assert min(kept_values) == -199.0
    assert [t for t, _ in kept] == sorted(t for t, _ in kept)


def test_decimate_leaves_short_series_alone() -> None:
    series = _series([1.0, 2.0, 3.0])
    assert decimate(series, 10) == series


def test_a_long_silence_splits_the_trace() -> None:
    series = _series([1.0] * 6) + [(T0 + timedelta(hours=6, minutes=i * 10), 2.0) for i in range(4)]
    runs = split_at_gaps(series)
    assert [len(run) for run in runs] == [6, 4]


def test_temperature_chart_draws_limits_periods_and_the_trace() -> None:
    series = _series([-180, -181, -140, -139, -182, -180])
    limits = [Limit(-150, "alarm", "upper"), Limit(-160, "warning", "upper")]
    periods = [Period(series[2][0], series[4][0], "excursion", "temperature_excursion")]
    svg = str(temperature_chart(series, limits=limits, periods=periods))
    assert svg.startswith('<svg id="temperature-chart"')
    assert 'data-points="6"' in svg
    assert re.findall(r'class="limit (\w+) (\w+)"[^>]*data-value="([-\d.]+)"', svg) == [
        ("alarm", "upper", "-150"),
        ("warning", "upper", "-160"),
    ]
    assert svg.count('class="period excursion"') == 1
    assert svg.count('class="trace"') == 1


def test_the_alarm_line_sits_between_the_cold_and_warm_readings() -> None:
    series = _series([-180, -140])
    svg = str(temperature_chart(series, limits=[Limit(-150, "alarm", "upper")]))
    ys = [float(y) for y in re.findall(r"[ML][\d.]+,([\d.]+)", svg)]
    limit_y = float(re.search(r'class="limit alarm upper"[^>]*y1="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert min(ys) < limit_y < max(ys)  # SVG y grows downwards: warm reading above the line


def test_no_readings_gives_a_message_not_an_empty_chart() -> None:
    assert 'id="temperature-chart-empty"' in temperature_chart([])
    assert 'id="route-plot-empty"' in route_plot([])


def test_route_plot_marks_sites_fixes_and_alerts_and_escapes_names() -> None:
    fixes = [(40.44 + i * 0.1, -79.99 + i * 0.5) for i in range(10)]
    sites = [Site("HUB-NE", 40.44, -79.99, "origin"), Site("<b>H</b>", 42.3, -71.1, "destination")]
    svg = str(route_plot(fixes, sites=sites, alerts=[(41.0, -77.0, "shock (warning)")]))
    assert 'data-fixes="10"' in svg
    assert svg.count('class="route"') == 1
    assert svg.count('class="site origin"') == 1
    assert svg.count('class="site destination"') == 1
    assert svg.count('class="alert-marker"') == 1
    assert "<b>H</b>" not in svg
    assert "&lt;b&gt;H&lt;/b&gt;" in svg
    xs = [float(x) for x in re.findall(r'c[x]="([-\d.]+)"', svg)]
    assert all(0 <= x <= 480 for x in xs)


def test_bar_lengths_are_proportional_and_labels_escaped() -> None:
    bars = [Bar("lane <A>", 50.0, "50"), Bar("lane B", 25.0, "25")]
    svg = str(bar_chart(bars, chart_id="chart-x", title="t"))
    widths = [float(w) for w in re.findall(r'class="bar "[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert 'data-label="lane &lt;A&gt;"' in svg
    assert "<A>" not in svg


def test_bars_against_a_fixed_maximum() -> None:
    svg = str(bar_chart([Bar("x", 0.5, "50 %")], chart_id="c", title="t", max_value=1.0, width=470))
    (width,) = re.findall(r'class="bar "[^>]*width="([\d.]+)"', svg)
    assert float(width) == pytest.approx((470 - 190 - 80) / 2)


def test_no_bars_gives_a_message() -> None:
    assert 'id="chart-y-empty"' in bar_chart([], chart_id="chart-y", title="nothing")


def test_eta_window_places_the_eta_against_the_promise() -> None:
    start, end = T0, T0 + timedelta(hours=6)
    on_time = str(eta_window(start, end, T0 + timedelta(hours=2), T0 + timedelta(hours=4)))
    late = str(eta_window(start, end, T0 + timedelta(hours=5), T0 + timedelta(hours=8)))
    assert 'class="eta-window on-time"' in on_time
    assert 'class="eta-window late"' in late

    def spans(svg: str) -> tuple[float, float, float, float]:
        promise = re.search(r'class="promise" x="([\d.]+)" y="2" width="([\d.]+)"', svg)
        eta = re.search(r'class="eta-span" x1="([\d.]+)" x2="([\d.]+)"', svg)
        assert promise and eta
        left = float(promise.group(1))
        return left, left + float(promise.group(2)), float(eta.group(1)), float(eta.group(2))

    p0, p1, e0, e1 = spans(on_time)
    assert p0 < e0 < e1 < p1
    p0, p1, e0, e1 = spans(late)
    assert p0 < e0 < p1 < e1
    assert str(eta_window(start, end, None, None)) == ""
