"""The dashboard views on a small known data set, on DuckDB and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from sinks import testing as build
from sinks.writer import WarehouseSink

pytestmark = pytest.mark.integration

HOUR = timedelta(hours=1)


def _fleet() -> dict[str, Any]:
    """Three shipments: A delivered on time after an excursion, B late, C in transit."""
    a = build.manifest("SHP-A")
    b = build.manifest(
        "SHP-B",
        product_profile="fridge-2-8",
        destination={"site_id": "HOSP-NYC-02", "role": "hospital", "lat": 40.7, "lon": -74.0},
        legs=[{**a.legs[0].model_dump(), "to_site": "HOSP-NYC-02", "carrier": "CUR-88"}],
    )
    c = build.manifest("SHP-C")
    custody = {
        "SHP-A": [
            build.custody_event(0, "SHP-A", step="packing", to_party=None),
            build.custody_event(1, "SHP-A"),
            build.custody_event(16, "SHP-A", step="receiving", to_party="HOSP-BOS-01",
                                to_role="hospital"),
        ],
        "SHP-B": [
            build.custody_event(1, "SHP-B", to_party="CUR-88"),
            build.custody_event(20, "SHP-B", step="receiving", to_party="HOSP-NYC-02",
                                to_role="hospital"),
        ],
        "SHP-C": [build.custody_event(1, "SHP-C")],
    }  # fmt: skip
    alerts = [
        build.alert(1, "SHP-A"),
        build.alert(2, "SHP-A"),
        build.alert(1, "SHP-B", alert_type="low_battery", severity="warning"),
        build.alert(1, "SHP-C", updated_at=build.T0 + 3 * HOUR),
    ]
    readings = [build.reading(i, "SHP-C", temperature_c=-170.0 + i) for i in range(6)]
    readings.append(build.reading(6, "SHP-C", temperature_c=None))  # a location-only ping
    etas = [build.eta_update("SHP-C", hours=1), build.eta_update("SHP-C", hours=2, late_by_h=3)]
    return {
        "manifests": {m.shipment_id: m for m in (a, b, c)},
        "custody": custody,
        "alerts": alerts,
        "readings": readings,
        "etas": etas,
    }


@pytest.fixture(scope="module")
def sink(module_warehouse_url: str) -> Iterator[WarehouseSink]:
    """One warehouse per backend for the whole module: the tests only read."""
    warehouse = WarehouseSink(module_warehouse_url)
    yield warehouse
    warehouse.close(flush=False)


@pytest.fixture(scope="module")
def fleet(sink: WarehouseSink) -> dict[str, Any]:
    data = _fleet()
    records: list[Any] = [*data["manifests"].values(), *data["alerts"], *data["readings"]]
    records += [event for events in data["custody"].values() for event in events]
    records += data["etas"]
    for record in records:
        sink.add(record)
    assert sink.flush().quarantined == {}
    return data


def _rows(sink: WarehouseSink, sql: str) -> list[dict[str, Any]]:
    with sink.engine.connect() as connection:
        return [dict(row) for row in connection.execute(sa.text(sql)).mappings()]


def test_shipment_status(sink: WarehouseSink, fleet: dict[str, Any]) -> None:
    status = {r["shipment_id"]: r for r in _rows(sink, "SELECT * FROM v_shipment_status")}
    assert set(status) == set(fleet["manifests"])
    a, b, c = status["SHP-A"], status["SHP-B"], status["SHP-C"]
    assert [a["state"], b["state"], c["state"]] == ["delivered", "delivered", "in_transit"]
    received_a = fleet["custody"]["SHP-A"][-1]
    assert (a["custodian_party_id"], a["custodian_role"]) == ("HOSP-BOS-01", "hospital")
    assert a["delivered_at"] == received_a.occurred_at
    assert (c["custodian_party_id"], c["last_step"]) == ("CUR-77", "departing")
    assert (a["open_alerts"], b["open_alerts"], c["open_alerts"]) == (0, 1, 1)
    assert (b["open_critical_alerts"], c["open_critical_alerts"]) == (0, 1)
    pinged, last_temperature = fleet["readings"][-1], fleet["readings"][-2]
    assert c["last_reading_at"] == pinged.recorded_at
    assert c["last_temperature_c"] == last_temperature.temperature_c
    assert c["last_temperature_at"] == last_temperature.recorded_at
    latest_eta = fleet["etas"][-1]
    promised_end = fleet["manifests"]["SHP-C"].promised_window.end
    assert c["eta_p50"] == latest_eta.eta_p50
    assert c["eta_risk"] == latest_eta.risk
    assert c["eta_p50_vs_promise_s"] == (latest_eta.eta_p50 - promised_end).total_seconds()
    assert a["eta_p50"] is None


def test_excursion_kpis_by_lane_courier_product_and_hub(
    sink: WarehouseSink, fleet: dict[str, Any]
) -> None:
    kpis = {
        (r["dimension"], r["dimension_value"]): r
        for r in _rows(sink, "SELECT * FROM v_excursion_kpis")
    }
    a, b, c = (fleet["manifests"][s] for s in ("SHP-A", "SHP-B", "SHP-C"))
    excursion_a = fleet["alerts"][1]
    excursion_c = fleet["alerts"][3]
    out_of_range = (excursion_a.resolved_at - excursion_a.opened_at) + (
        excursion_c.updated_at - excursion_c.opened_at
    )
    lane_ac = f"{a.origin.site_id}->{a.destination.site_id}"
    lane_b = f"{b.origin.site_id}->{b.destination.site_id}"
    row = kpis[("lane", lane_ac)]
    assert (row["shipments"], row["excursions"], row["shipments_with_excursion"]) == (2, 2, 2)
    assert row["excursions_per_100_shipments"] == pytest.approx(100.0)
    assert row["time_out_of_range_s"] == pytest.approx(out_of_range.total_seconds())
    assert (kpis[("lane", lane_b)]["shipments"], kpis[("lane", lane_b)]["excursions"]) == (1, 0)
    assert kpis[("courier", "CUR-77")]["excursions"] == 2
    assert kpis[("courier", "CUR-88")]["excursions_per_100_shipments"] == 0
    assert kpis[("product", "cryo-150")]["shipments"] == 2
    hub = kpis[("hub", c.origin.site_id)]
    assert hub["shipments"] == 3
    assert hub["excursions_per_100_shipments"] == pytest.approx(100.0 * 2 / 3)


def test_on_time_rate(sink: WarehouseSink, fleet: dict[str, Any]) -> None:
    on_time = {
        (r["dimension"], r["dimension_value"]): r for r in _rows(sink, "SELECT * FROM v_on_time")
    }
    late_b = (
        fleet["custody"]["SHP-B"][-1].occurred_at - fleet["manifests"]["SHP-B"].promised_window.end
    )
    overall = on_time[("all", "all")]
    assert (overall["delivered"], overall["on_time"], overall["late"]) == (2, 1, 1)
    assert overall["on_time_rate"] == pytest.approx(0.5)
    assert overall["worst_lateness_s"] == pytest.approx(late_b.total_seconds())
    assert on_time[("courier", "CUR-77")]["on_time_rate"] == pytest.approx(1.0)
    assert on_time[("courier", "CUR-88")]["on_time_rate"] == pytest.approx(0.0)


def test_custody_timeline(sink: WarehouseSink, fleet: dict[str, Any]) -> None:
    timeline = _rows(
        sink,
        "SELECT * FROM v_custody_timeline WHERE shipment_id = 'SHP-A' ORDER BY occurred_at",
    )
    events = fleet["custody"]["SHP-A"]
    assert [r["event_id"] for r in timeline] == [e.event_id for e in events]
    assert timeline[0]["since_previous_s"] is None
    assert [r["since_previous_s"] for r in timeline[1:]] == [
        (later.occurred_at - earlier.occurred_at).total_seconds()
        for earlier, later in itertools.pairwise(events)
    ]
    assert not any(r["coi_mismatch"] for r in timeline)
