"""The dashboard's JSON API and pages over a known warehouse, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from dashboard_fixtures import SIGNER, KnownFleet

pytestmark = pytest.mark.integration


def _get(base: str, path: str, **params: str) -> httpx.Response:
    return httpx.get(base + path, params=params, timeout=30)


def test_fleet_lists_every_shipment_with_its_state_and_open_alerts(
    served: str, known: KnownFleet
) -> None:
    body = _get(served, "/api/shipments").json()
    by_id = {row["shipment_id"]: row for row in body["shipments"]}
    assert set(by_id) == set(known.shipments)
    for shipment_id, expected in known.shipments.items():
        assert by_id[shipment_id]["state"] == expected["state"]
        assert by_id[shipment_id]["open_alerts"] == expected["open_alerts"]
    # the shipment with an open critical alert comes first
    assert body["shipments"][0]["shipment_id"] == "SHP-B"
    assert by_id["SHP-B"]["custodian_party_id"] == "CUR-12"
    assert by_id["SHP-A"]["custodian_party_id"] == "HOSP-BOS-01"
    # ETA against the promise: present where an ETA was computed, empty elsewhere
    assert by_id["SHP-B"]["eta_p50_vs_promise_s"] == pytest.approx(2 * 3600)
    assert by_id["SHP-C"]["eta_p50"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("hub", "HUB-NE"), ("lane", "HUB-SE->HOSP-ATL-01"), ("hospital", "HOSP-BOS-01")],
)
def test_fleet_filters_narrow_the_list(
    served: str, known: KnownFleet, name: str, value: str
) -> None:
    def matches(shipment_id: str) -> bool:
        info = known.shipments[shipment_id]
        if name == "hospital":
            return value in info["lane"].split("->")
        return bool(info[name] == value)

    body = _get(served, "/api/shipments", **{name: value}).json()
    assert {row["shipment_id"] for row in body["shipments"]} == {
        s for s in known.shipments if matches(s)
    }
    assert body["filters"][name] == value
    assert value in body["options"][name]


def test_shipment_detail_has_readings_custody_chain_alerts_and_limits(
    served: str, known: KnownFleet
) -> None:
    response = _get(served, "/api/shipments/SHP-A")
    assert response.status_code == 200
    detail = response.json()
    expected = known.shipments["SHP-A"]
    assert [r["event_id"] for r in detail["readings"]] == [r.event_id for r in expected["readings"]]
    assert [c["event_id"] for c in detail["custody"]] == [c.event_id for c in expected["custody"]]
    assert detail["chain"] == {"ok": True, "links": len(expected["custody"]), "broken": []}
    assert [a["alert_type"] for a in detail["alerts"]] == ["temperature_excursion"]
    assert detail["alerts"][0]["status"] == "resolved"
    assert [h["version"] for h in detail["alert_history"]] == [1, 2]
    assert detail["profile"]["upper_c"] == -150
    assert detail["manifest"]["legs"][0]["carrier"] == "CUR-77"
    assert detail["eta"] == []


def test_no_staff_names_reach_the_api_or_pages(served: str, known: KnownFleet) -> None:
    for path in ("/api/shipments/SHP-A", "/shipments/SHP-A", "/api/shipments", "/"):
        response = _get(served, path)
        assert response.status_code == 200
        assert SIGNER not in response.text
        assert "signer_name" not in response.text


def test_unknown_shipment_is_404(served: str, known: KnownFleet) -> None:
    api = _get(served, "/api/shipments/NOPE")
    assert api.status_code == 404
    assert api.json()["error"] == "unknown shipment"
    assert _get(served, "/shipments/NOPE").status_code == 404


def test_kpis_match_the_known_fleet(served: str, known: KnownFleet) -> None:
    kpis = _get(served, "/api/kpis").json()
    lanes = {r["dimension_value"]: r for r in kpis["excursions"] if r["dimension"] == "lane"}
    assert set(lanes) == {info["lane"] for info in known.shipments.values()}
    a_lane = lanes[known.shipments["SHP-A"]["lane"]]
    assert a_lane["excursions"] == 1
    assert a_lane["excursions_per_100_shipments"] == pytest.approx(100.0)
    assert a_lane["time_out_of_range_s"] == pytest.approx(40 * 60)
    overall = next(r for r in kpis["on_time"] if r["dimension"] == "all")
    delivered = [s for s, info in known.shipments.items() if info["state"] == "delivered"]
    assert overall["delivered"] == len(delivered)
    assert overall["on_time_rate"] == pytest.approx(1.0)


def test_pages_render_their_key_elements(served: str, known: KnownFleet) -> None:
    fleet = _get(served, "/", hub="HUB-NE")
    assert fleet.status_code == 200
    assert 'id="fleet-table"' in fleet.text
    hub_ne = [s for s, info in known.shipments.items() if info["hub"] == "HUB-NE"]
    assert fleet.text.count('class="shipment-row"') == len(hub_ne)
    everything = _get(served, "/").text
    # only SHP-B has an ETA, and its p90 lies past the promised end
    assert everything.count('class="eta-window late"') == 1
    assert everything.count('class="eta-window') == 1
    page = _get(served, "/shipments/SHP-A").text
    for marker in ('id="temperature-chart"', 'id="route-plot"', 'id="chain-check"'):
        assert marker in page
    assert page.count('class="period excursion"') == 1
    assert 'id="eta-empty"' in page
    kpis = _get(served, "/kpis").text
    assert 'id="chart-excursions-per-100-shipments-lane"' in kpis
    assert 'id="chart-on-time-rate-courier"' in kpis


def test_every_response_forbids_foreign_assets(served: str, known: KnownFleet) -> None:
    for path in ("/", "/kpis", "/api/kpis", "/static/dashboard.css"):
        policy = _get(served, path).headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
    page = _get(served, "/").text
    assert "http://" not in page.replace(served, "")
    assert "https://" not in page
