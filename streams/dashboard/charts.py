"""Server-side SVG charts (pure functions, no I/O): temperature trace, route plot, bar charts."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Literal

from markupsafe import Markup, escape

__all__ = [
    "Bar",
    "Limit",
    "Period",
    "Site",
    "bar_chart",
    "decimate",
    "eta_window",
    "nice_ticks",
    "route_plot",
    "split_at_gaps",
    "temperature_chart",
    "time_ticks",
]

Point = tuple[datetime, float]


@dataclass(frozen=True, slots=True)
class Limit:
    """A horizontal limit line on the temperature chart."""

    value: float
    kind: Literal["alarm", "warning"]
    side: Literal["upper", "lower"]


@dataclass(frozen=True, slots=True)
class Period:
    """A shaded time span (an excursion or a warning) on the temperature chart."""

    start: datetime
    end: datetime
    kind: Literal["excursion", "warning"]
    label: str


@dataclass(frozen=True, slots=True)
class Site:
    """A named place on the route plot."""

    site_id: str
    lat: float
    lon: float
    kind: Literal["origin", "destination"]


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a bar chart: its label, value and the text written beside it."""

    label: str
    value: float
    text: str


def _f(value: float) -> str:
    return f"{value:.1f}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]``, about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


_TIME_STEPS = tuple(
    timedelta(minutes=m) for m in (10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
)


def time_ticks(start: datetime, end: datetime, count: int = 7) -> list[datetime]:
    """Round UTC instants between ``start`` and ``end``, at most about ``count`` of them."""
    span = max((end - start).total_seconds(), 1.0)
    step = next((s for s in _TIME_STEPS if span / s.total_seconds() <= count), _TIME_STEPS[-1])
    step_s = int(step.total_seconds())
    first = math.ceil(start.timestamp() / step_s) * step_s
    ticks: list[datetime] = []
    moment = first
    while moment <= end.timestamp():
        ticks.append(datetime.fromtimestamp(moment, UTC))
        moment += step_s
    return ticks


def decimate(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most about ``max_points`` points, keeping every bucket's minimum and maximum.

    Peaks survive, so an excursion never disappears from a long trace.
    """
    if len(points) <= max_points:
        return list(points)
    buckets = max(max_points // 2, 1)
    size = math.ceil(len(points) / buckets)
    kept: list[Point] = []
    for index in range(0, len(points), size):
        bucket = points[index : index + size]
        low = min(bucket, key=lambda p: p[1])
        high = max(bucket, key=lambda p: p[1])
        kept.extend(sorted({low, high}, key=lambda p: p[0]))
    return kept


def split_at_gaps(
    points: Sequence[Point], *, min_gap: timedelta = timedelta(hours=1)
) -> list[list[Point]]:
    """Runs of points without a silence longer than 3 median intervals (and ``min_gap``)."""
    if len(points) < 2:
        return [list(points)] if points else []
    steps = [(b[0] - a[0]).total_seconds() for a, b in pairwise(points)]
    limit = max(3 * median(steps), min_gap.total_seconds())
    runs: list[list[Point]] = [[points[0]]]
    for previous, point in pairwise(points):
        if (point[0] - previous[0]).total_seconds() > limit:
            runs.append([])
        runs[-1].append(point)
    return runs


def _time_label(moment: datetime, with_date: bool) -> str:
    return moment.strftime("%d %b %H:%M" if with_date else "%H:%M")


def temperature_chart(
    points: Sequence[Point],
    *,
    limits: Sequence[Limit] = (),
    periods: Sequence[Period] = (),
    width: int = 960,
    height: int = 320,
    max_points: int = 2000,
) -> Markup:
    """The temperature trace with limit lines and shaded excursion/warning periods."""
    if not points:
        return Markup(
            '<p class="empty" id="temperature-chart-empty">No temperature readings yet.</p>'
        )
    left, right, top, bottom = 64, 16, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    t0, t1 = points[0][0], points[-1][0]
    if t1 <= t0:
        t1 = t0 + timedelta(minutes=10)
    values = [v for _, v in points] + [limit.value for limit in limits]
    low, high = min(values), max(values)
    pad = max((high - low) * 0.08, 1.0)
    low, high = low - pad, high + pad
    span_s = (t1 - t0).total_seconds()

    def x(moment: datetime) -> float:
        share = (moment - t0).total_seconds() / span_s
        return left + min(max(share, 0.0), 1.0) * plot_w

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_h

    parts = [
        f'<svg id="temperature-chart" class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Temperature over time" data-points="{len(points)}">'
    ]
    for period in periods:
        x0, x1 = x(period.start), x(period.end)
        parts.append(
            f'<rect class="period {period.kind}" x="{_f(x0)}" y="{top}" '
            f'width="{_f(max(x1 - x0, 2.0))}" height="{plot_h}">'
            f"<title>{escape(period.label)}</title></rect>"
        )
    for tick in nice_ticks(low, high):
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{_f(y(tick))}" '
            f'y2="{_f(y(tick))}"/><text class="tick" x="{left - 6}" y="{_f(y(tick) + 4)}" '
            f'text-anchor="end">{tick:g}</text>'
        )
    with_date = span_s > 86400 / 2
    for moment in time_ticks(t0, t1):
        parts.append(
            f'<text class="tick" x="{_f(x(moment))}" y="{height - 12}" text-anchor="middle">'
            f"{escape(_time_label(moment, with_date))}</text>"
        )
    for limit in limits:
        parts.append(
            f'<line class="limit {limit.kind} {limit.side}" x1="{left}" x2="{left + plot_w}" '
            f'y1="{_f(y(limit.value))}" y2="{_f(y(limit.value))}" data-value="{limit.value:g}">'
            f"<title>{limit.kind} {limit.side} limit {limit.value:g} °C</title></line>"
        )
    for run in split_at_gaps(decimate(points, max_points)):
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_f(x(t))},{_f(y(v))}" for i, (t, v) in enumerate(run)
        )
        parts.append(f'<path class="trace" d="{path}"/>')
    parts.append(
        f'<rect class="frame" x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>'
        f'<text class="axis-label" x="14" y="{top + plot_h / 2:.0f}" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.0f})" text-anchor="middle">°C</text>'
        "</svg>"
    )
    return Markup("".join(parts))  # noqa: S704 - text parts escaped, numbers formatted


def route_plot(
    fixes: Sequence[tuple[float, float]],
    *,
    sites: Sequence[Site] = (),
    alerts: Sequence[tuple[float, float, str]] = (),
    width: int = 480,
    height: int = 360,
) -> Markup:
    """GPS fixes as a line on an equirectangular grid, with origin, destination and alerts."""
    places = [(lat, lon) for lat, lon in fixes] + [(s.lat, s.lon) for s in sites]
    if not places:
        return Markup('<p class="empty" id="route-plot-empty">No location fixes yet.</p>')
    pad = 24
    lats = [p[0] for p in places]
    lons = [p[1] for p in places]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    squeeze = max(math.cos(mid_lat), 0.1)
    span_x = max((max(lons) - min(lons)) * squeeze, 0.05)
    span_y = max(max(lats) - min(lats), 0.05)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    cx = (min(lons) + max(lons)) / 2
    cy = (min(lats) + max(lats)) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        return width / 2 + (lon - cx) * squeeze * scale, height / 2 - (lat - cy) * scale

    parts = [
        f'<svg id="route-plot" class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Route of the GPS fixes" data-fixes="{len(fixes)}">'
    ]
    for lat in nice_ticks(min(lats) - span_y, max(lats) + span_y, 4):
        _, py = project(lat, cx)
        parts.append(
            f'<line class="grid" x1="0" x2="{width}" y1="{_f(py)}" y2="{_f(py)}"/>'
            f'<text class="tick" x="4" y="{_f(py - 3)}">{lat:g}°</text>'
        )
    for lon in nice_ticks(min(lons) - span_x / squeeze, max(lons) + span_x / squeeze, 4):
        px, _ = project(cy, lon)
        parts.append(
            f'<line class="grid" x1="{_f(px)}" x2="{_f(px)}" y1="0" y2="{height}"/>'
            f'<text class="tick" x="{_f(px + 3)}" y="{height - 4}">{lon:g}°</text>'
        )
    if fixes:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_f(px)},{_f(py)}"
            for i, (px, py) in enumerate(project(lat, lon) for lat, lon in fixes)
        )
        parts.append(f'<path class="route" d="{path}"/>')
        lx, ly = project(*fixes[-1])
        parts.append(
            f'<circle class="last-fix" cx="{_f(lx)}" cy="{_f(ly)}" r="5">'
            "<title>last fix</title></circle>"
        )
    for site in sites:
        sx, sy = project(site.lat, site.lon)
        parts.append(
            f'<circle class="site {site.kind}" cx="{_f(sx)}" cy="{_f(sy)}" r="7">'
            f"<title>{site.kind} {escape(site.site_id)}</title></circle>"
            f'<text class="site-label" x="{_f(sx + 10)}" y="{_f(sy - 8)}">'
            f"{escape(site.site_id)}</text>"
        )
    for lat, lon, label in alerts:
        ax, ay = project(lat, lon)
        parts.append(
            f'<path class="alert-marker" d="M{_f(ax)},{_f(ay - 7)} l6,11 h-12 z">'
            f"<title>{escape(label)}</title></path>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - text parts escaped, numbers formatted


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    max_value: float | None = None,
    width: int = 560,
    bar_height: int = 18,
    css_class: Callable[[Bar], str] = lambda _: "",
) -> Markup:
    """Horizontal bars with their labels and values (``data-label``/``data-value`` for tests)."""
    if not bars:
        empty = f'<p class="empty" id="{escape(chart_id)}-empty">No data for {escape(title)}.</p>'
        return Markup(empty)  # noqa: S704 - both values escaped
    label_w, value_w, gap = 190, 80, 6
    plot_w = width - label_w - value_w
    top = max(max_value if max_value is not None else max(b.value for b in bars), 1e-9)
    height = len(bars) * (bar_height + gap) + gap
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart bars" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" data-bars="{len(bars)}">'
    ]
    for index, bar in enumerate(bars):
        y = gap + index * (bar_height + gap)
        length = max(bar.value, 0.0) / top * plot_w
        extra = css_class(bar)
        parts.append(
            f'<g class="bar-row" data-label="{escape(bar.label)}" data-value="{bar.value:g}">'
            f'<text class="bar-label" x="{label_w - 8}" y="{y + bar_height - 5}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
            f'<rect class="bar {escape(extra)}" x="{label_w}" y="{y}" width="{_f(length)}" '
            f'height="{bar_height}"><title>{escape(bar.label)}: {escape(bar.text)}</title></rect>'
            f'<text class="bar-value" x="{_f(label_w + length + 6)}" y="{y + bar_height - 5}">'
            f"{escape(bar.text)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - text parts escaped, numbers formatted


def eta_window(
    promised_start: datetime,
    promised_end: datetime,
    eta_p50: datetime | None,
    eta_p90: datetime | None,
    *,
    width: int = 150,
    height: int = 18,
) -> Markup:
    """A one-line strip: the promised window as a band, the ETA p50..p90 span over it."""
    if eta_p50 is None:
        return Markup("")
    p90 = eta_p90 or eta_p50
    start = min(promised_start, eta_p50)
    end = max(promised_end, p90)
    span_s = max((end - start).total_seconds(), 60.0)
    pad = 6

    def x(moment: datetime) -> float:
        return pad + (moment - start).total_seconds() / span_s * (width - 2 * pad)

    late = "late" if p90 > promised_end else "on-time"
    title = (
        f"promised {promised_start:%d %b %H:%M}-{promised_end:%H:%M}Z, "
        f"ETA p50 {eta_p50:%d %b %H:%M}Z, p90 {p90:%d %b %H:%M}Z"
    )
    mid = height / 2
    svg = (
        f'<svg class="eta-window {late}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect class="promise" x="{_f(x(promised_start))}" y="2" '
        f'width="{_f(max(x(promised_end) - x(promised_start), 1.0))}" height="{height - 4}"/>'
        f'<line class="eta-span" x1="{_f(x(eta_p50))}" x2="{_f(max(x(p90), x(eta_p50) + 1))}" '
        f'y1="{mid}" y2="{mid}"/>'
        f'<circle class="eta-p50" cx="{_f(x(eta_p50))}" cy="{mid}" r="3.5"/></svg>'
    )
    return Markup(svg)  # noqa: S704 - the only text is escaped
