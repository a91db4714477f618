"""Known and simulated data sets for the dashboard tests, written through the real sink."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from schemas.recording import RecordingLine
from sinks import testing as build
from sinks.writer import WarehouseSink
from streams.offline import OfflineRunner
from streams.simulator.run import SimulationConfig, simulate

SIGNER = "A. Rivera"
"""The staff name on every known custody signature: must never reach a page or the API."""


@dataclass
class KnownFleet:
    """What was written, so tests derive their expectations from the input."""

    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: list[Any] = field(default_factory=list)


def known_fleet() -> KnownFleet:
    """Three shipments: delivered with a resolved excursion, in transit with an open critical
    alert and a late ETA, and booked."""
    t0 = build.T0
    fleet = KnownFleet()
    a = build.manifest("SHP-A")
    b = build.manifest(
        "SHP-B",
        origin={"site_id": "HUB-SE", "role": "hub", "lat": 33.75, "lon": -84.39},
        destination={"site_id": "HOSP-ATL-01", "role": "hospital", "lat": 33.79, "lon": -84.32},
        legs=[
            {
                "mode": "road",
                "from_site": "HUB-SE",
                "to_site": "HOSP-ATL-01",
                "scheduled_departure": t0,
                "scheduled_arrival": t0 + timedelta(hours=3),
                "carrier": "CUR-12",
            }
        ],
    )
    c = build.manifest(
        "SHP-C",
        origin={"site_id": "HOSP-BOS-01", "role": "hospital", "lat": 42.336, "lon": -71.1},
        destination={"site_id": "HUB-NE", "role": "hub", "lat": 40.44, "lon": -79.99},
        product_profile="fridge-2-8",
        legs=[],
    )
    excursion = {4, 5}
    a_readings = [
        build.reading(seq, "SHP-A", temperature_c=-140.0 if seq in excursion else -180.0)
        for seq in range(12)
    ]
    b_readings = [build.reading(seq, "SHP-B", temperature_c=-182.0) for seq in range(6)]
    a_custody = [
        build.custody_event(0, "SHP-A", step="packing", to_party=None),
        build.custody_event(1, "SHP-A", step="departing"),
        build.custody_event(
            10,
            "SHP-A",
            step="receiving",
            to_party="HOSP-BOS-01",
            to_role="hospital",
            from_party={"party_id": "CUR-77", "role": "courier"},
            site_id="HOSP-BOS-01",
        ),
    ]
    b_custody = [
        build.custody_event(
            1,
            "SHP-B",
            step="departing",
            to_party="CUR-12",
            from_party={"party_id": "HUB-SE", "role": "hub"},
            site_id="HUB-SE",
        )
    ]
    alerts = [
        build.alert(1, "SHP-A"),
        build.alert(2, "SHP-A"),
        build.alert(1, "SHP-B", alert_type="coi_mismatch"),
    ]
    eta = [build.eta_update("SHP-B", hours=1.0, late_by_h=4.0)]
    fleet.records = [a, b, c, *a_readings, *b_readings, *a_custody, *b_custody, *alerts, *eta]
    fleet.shipments = {
        "SHP-A": {
            "state": "delivered",
            "readings": a_readings,
            "custody": a_custody,
            "excursion_seqs": excursion,
            "open_alerts": 0,
            "hub": "HUB-NE",
            "lane": "HUB-NE->HOSP-BOS-01",
            "carrier": "CUR-77",
        },
        "SHP-B": {
            "state": "in_transit",
            "readings": b_readings,
            "custody": b_custody,
            "open_alerts": 1,
            "hub": "HUB-SE",
            "lane": "HUB-SE->HOSP-ATL-01",
            "carrier": "CUR-12",
        },
        "SHP-C": {
            "state": "booked",
            "readings": [],
            "custody": [],
            "open_alerts": 0,
            "hub": "HUB-NE",
            "lane": "HOSP-BOS-01->HUB-NE",
            "carrier": None,
        },
    }
    return fleet


def write_records(url: str, records: list[Any]) -> None:
    """Write wire records through the real sink (migrations included), then release the file."""
    with WarehouseSink(url, validate=False) as sink:
        for record in records:
            sink.add(record)


def write_simulated(url: str, *, shipments: int = 16, seed: int = 7, share: float = 0.6) -> None:
    """A simulated fleet replayed offline into the warehouse, cut at ``share`` of the
    recording so that some shipments are still in transit."""
    sim = simulate(SimulationConfig(shipments=shipments, seed=seed, days=2))
    lines = [RecordingLine.model_validate(line) for line in sim.lines]
    with WarehouseSink(url, validate=False) as sink:
        OfflineRunner(listener=sink.add).run(lines[: int(len(lines) * share)])
