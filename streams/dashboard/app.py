"""The aiohttp application: HTML pages, the JSON API, static assets, auth and error handling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
import orjson
import structlog
from aiohttp import web
from markupsafe import Markup

from streams.dashboard import present
from streams.dashboard.auth import PUBLIC_PATHS, token_matches
from streams.dashboard.charts import Bar, bar_chart, eta_window, route_plot, temperature_chart
from streams.dashboard.reader import FleetFilter, WarehouseReader
from streams.dashboard.warehouse import WarehouseBusy, WarehouseUnavailable

__all__ = ["READER", "create_app"]

log = structlog.get_logger("cryotrace.dashboard")

HERE = Path(__file__).parent
READER = web.AppKey("reader", WarehouseReader)
_TEMPLATES = web.AppKey("templates", jinja2.Environment)
_TOKEN = web.AppKey("token", str)
_REFRESH_S = web.AppKey("refresh_s", int)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ON_TIME_TARGET = 0.95
"""On-time rates at or above this are drawn green on the KPI page."""

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""Every response: only this origin's assets (no CDN, no external font), never cached."""


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["ts"] = present.timestamp
    env.filters["duration"] = present.duration
    env.filters["details"] = present.details
    env.globals["eta_delta"] = present.eta_delta
    env.globals["eta_window"] = eta_window
    return env


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = orjson.dumps(data, default=_encode, option=orjson.OPT_NON_STR_KEYS)
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)


def _encode(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot encode {type(value).__name__}")


def _page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    env = request.app[_TEMPLATES]
    html = env.get_template(template).render(now=datetime.now(UTC), path=request.path, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def _problem(
    request: web.Request, status: int, title: str, message: str, **headers: str
) -> web.Response:
    if _wants_json(request):
        return _json({"error": title, "message": message}, status=status, headers=headers or None)
    response = _page(request, "error.html", status=status, title=title, message=message)
    response.headers.update(headers)
    return response


@web.middleware
async def _security(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@web.middleware
async def _auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app.get(_TOKEN)
    if not token or request.path in PUBLIC_PATHS:
        return await handler(request)
    if token_matches(token, request.headers.get("Authorization")):
        return await handler(request)
    challenge = 'Bearer realm="cryotrace"' if _wants_json(request) else 'Basic realm="cryotrace"'
    return _problem(
        request,
        401,
        "unauthorized",
        "A token is required: send 'Authorization: Bearer <token>' (browsers: any user name, "
        "the token as password).",
        **{"WWW-Authenticate": challenge},
    )


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except WarehouseBusy as exc:
        log.warning("dashboard.warehouse_busy", path=request.path)
        return _problem(request, 503, "warehouse busy", str(exc), **{"Retry-After": "5"})
    except WarehouseUnavailable as exc:
        log.warning("dashboard.warehouse_unavailable", path=request.path, error=str(exc))
        return _problem(request, 503, "warehouse unavailable", str(exc), **{"Retry-After": "5"})


async def _read(request: web.Request, method: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking reader call in a worker thread (never on the event loop)."""
    return await asyncio.to_thread(method, *args)


def _filters(request: web.Request) -> FleetFilter:
    query = request.rel_url.query

    def value(name: str) -> str | None:
        text = query.get(name, "").strip()
        return text[:200] or None

    return FleetFilter(hub=value("hub"), lane=value("lane"), hospital=value("hospital"))


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"shipments": len(rows), "in_transit": 0, "booked": 0, "delivered": 0}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    counts["open_alerts"] = sum(int(r["open_alerts"] or 0) for r in rows)
    counts["open_critical_alerts"] = sum(int(r["open_critical_alerts"] or 0) for r in rows)
    return counts


# -- pages --------------------------------------------------------------------------------


async def fleet_page(request: web.Request) -> web.Response:
    reader = request.app[READER]
    where = _filters(request)
    rows = await _read(request, reader.shipments, where)
    options = await _read(request, reader.filter_options)
    active = {k: v for k, v in where.as_dict().items() if v}
    return _page(
        request,
        "fleet.html",
        rows=rows,
        summary=_summary(rows),
        options=options,
        where=where.as_dict(),
        query=urlencode(active),
        refresh_s=request.app[_REFRESH_S],
    )


async def shipment_page(request: web.Request) -> web.Response:
    shipment_id = request.match_info["shipment_id"]
    detail = await _read(request, request.app[READER].shipment, shipment_id)
    if detail is None:
        return _problem(
            request, 404, "unknown shipment", f"No shipment {shipment_id!r} in the warehouse."
        )
    readings = detail["readings"]
    last_at = readings[-1]["recorded_at"] if readings else None
    chart = temperature_chart(
        present.temperature_points(readings),
        limits=present.profile_limits(detail["profile"]),
        periods=present.excursion_periods(detail["alerts"], last_at),
    )
    route = route_plot(
        present.route_fixes(readings),
        sites=present.route_sites(detail["manifest"]),
        alerts=present.alert_markers(detail["alerts"]),
    )
    return _page(request, "shipment.html", d=detail, chart=chart, route=route)


async def kpi_page(request: web.Request) -> web.Response:
    kpis = await _read(request, request.app[READER].kpis)
    excursions, on_time = kpis["excursions"], kpis["on_time"]
    per100 = "excursions_per_100_shipments"

    def per_100(row: dict[str, Any]) -> str:
        return f"{row[per100]:.1f} ({row['excursions']} in {row['shipments']})"

    def out_of_range(row: dict[str, Any]) -> str:
        return present.duration(row["time_out_of_range_s"])

    def rate(row: dict[str, Any]) -> str:
        return f"{row['on_time_rate'] * 100:.0f} % ({row['on_time']} of {row['delivered']})"

    def good(bar: Bar) -> str:
        return "good" if bar.value >= ON_TIME_TARGET else "bad"

    def chart(
        rows: list[dict[str, Any]], dimension: str, field: str, title: str, **kw: Any
    ) -> Markup:
        chart_id = f"chart-{field.replace('_', '-')}-{dimension}"
        return bar_chart(
            present.kpi_bars(rows, dimension, field, text=kw.pop("text")),
            chart_id=chart_id,
            title=title,
            **kw,
        )

    charts = {
        "exc-lane": chart(excursions, "lane", per100, "excursions by lane", text=per_100),
        "exc-courier": chart(excursions, "courier", per100, "excursions by courier", text=per_100),
        "oor-lane": chart(
            excursions, "lane", "time_out_of_range_s", "out of range by lane", text=out_of_range
        ),
        "oor-courier": chart(
            excursions,
            "courier",
            "time_out_of_range_s",
            "out of range by courier",
            text=out_of_range,
        ),
        "ontime-lane": chart(
            on_time,
            "lane",
            "on_time_rate",
            "on time by lane",
            text=rate,
            max_value=1.0,
            css_class=good,
        ),
        "ontime-courier": chart(
            on_time,
            "courier",
            "on_time_rate",
            "on time by courier",
            text=rate,
            max_value=1.0,
            css_class=good,
        ),
    }
    overall = next((r for r in on_time if r["dimension"] == "all"), None)
    lanes = [r for r in excursions if r["dimension"] == "lane"]
    shipments = sum(int(r["shipments"]) for r in lanes)
    total_excursions = sum(int(r["excursions"]) for r in lanes)
    totals = {
        "shipments": shipments,
        "excursions": total_excursions,
        "per_100": 100.0 * total_excursions / shipments if shipments else None,
        "out_of_range_s": sum(float(r["time_out_of_range_s"] or 0) for r in lanes),
        "delivered": int(overall["delivered"]) if overall else 0,
        "on_time_rate": float(overall["on_time_rate"]) if overall else None,
    }
    return _page(request, "kpis.html", charts=charts, totals=totals)


# -- JSON API -------------------------------------------------------------------------------


def _parsed(row: dict[str, Any], *names: str) -> dict[str, Any]:
    out = dict(row)
    for name in names:
        text = out.pop(name, None)
        key = name.removesuffix("_json")
        try:
            out[key] = json.loads(text) if text else None
        except ValueError:
            out[key] = None
    return out


async def api_shipments(request: web.Request) -> web.Response:
    reader = request.app[READER]
    where = _filters(request)
    rows = await _read(request, reader.shipments, where)
    options = await _read(request, reader.filter_options)
    return _json(
        {"filters": where.as_dict(), "options": options, "count": len(rows), "shipments": rows}
    )


async def api_shipment(request: web.Request) -> web.Response:
    shipment_id = request.match_info["shipment_id"]
    detail = await _read(request, request.app[READER].shipment, shipment_id)
    if detail is None:
        return _problem(request, 404, "unknown shipment", f"No shipment {shipment_id!r}.")
    detail["manifest"] = _parsed(detail["manifest"], "profile_json", "legs_json")
    detail["alerts"] = [_parsed(a, "details_json") for a in detail["alerts"]]
    detail["alert_history"] = [_parsed(a, "details_json") for a in detail["alert_history"]]
    detail["eta"] = [_parsed(e, "details_json") for e in detail["eta"]]
    return _json(detail)


async def api_kpis(request: web.Request) -> web.Response:
    return _json(await _read(request, request.app[READER].kpis))


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def _close_reader(app: web.Application) -> None:
    await asyncio.to_thread(app[READER].close)


def create_app(
    reader: WarehouseReader, *, token: str | None = None, refresh_s: int = 30
) -> web.Application:
    """The dashboard over ``reader``; with ``token`` every path but ``/healthz`` needs it."""
    app = web.Application(middlewares=[_security, _auth, _errors])
    app[READER] = reader
    app[_TEMPLATES] = _templates()
    app[_REFRESH_S] = refresh_s
    if token:
        app[_TOKEN] = token
    app.router.add_get("/", fleet_page, name="fleet")
    app.router.add_get("/shipments/{shipment_id}", shipment_page, name="shipment")
    app.router.add_get("/kpis", kpi_page, name="kpis")
    app.router.add_get("/api/shipments", api_shipments)
    app.router.add_get("/api/shipments/{shipment_id}", api_shipment)
    app.router.add_get("/api/kpis", api_kpis)
    app.router.add_get("/healthz", healthz)
    app.router.add_static("/static", HERE / "static", name="static")
    app.on_cleanup.append(_close_reader)
    return app
