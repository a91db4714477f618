"""Route estimate: road pace, stops, the schedule of air legs, delays carried forward, arrival."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eta_builders import (
    DEST,
    ORIGIN,
    ROAD_KM,
    Drive,
    air_leg,
    along,
    at,
    drive_road,
    road_leg,
    road_manifest,
    ts,
)

from alerts.eta_config import EtaConfig
from alerts.eta_route import estimate
from alerts.eta_track import Track

MINUTE = 60.0


def test_road_eta_converges_on_the_measured_pace() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.5)  # actual arrival: minute 210 (60 + 150)
    est = d.results[-1].estimate
    assert est.phase == "road"
    assert abs(est.p50 - ts(210)) < 2 * MINUTE
    assert est.speed_kmh is not None and est.speed_kmh == pytest.approx(ROAD_KM / 2.5, rel=0.03)


def test_before_departure_the_lane_default_pace_follows_the_schedule() -> None:
    config = EtaConfig()
    d = Drive(road_manifest(), config)
    est = d.fix(0, along(0.0)).estimate
    drive_s = (ROAD_KM / config.road_speed_kmh) * 3600 + config.road_leg_overhead_s
    assert est.phase == "origin"
    assert est.p50 == pytest.approx(ts(60) + config.departure_slip_s + drive_s)


def test_a_stop_mid_road_pushes_the_eta_by_the_stop_and_as_much_again() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.4)  # last fix at minute 110, 1/3 of the way
    moving = d.results[-1].estimate.p50
    where = along(50 / 150)
    for minute in (120, 130, 140, 150, 160, 170):
        d.fix(minute, where)
    est = d.results[-1].estimate
    assert est.phase == "stopped"
    stopped_s = (170 - 110) * MINUTE  # standing since the fix at minute 110
    # the hour spent so far is lost, and as much again is expected
    assert est.p50 - moving == pytest.approx(2 * stopped_s, abs=2 * MINUTE)
    assert est.p90 - est.p50 > 2 * stopped_s


AIR_LEGS = [
    road_leg(ORIGIN[0], "APT-X", 60, 90),
    air_leg("APT-X", "APT-Y", 180, 300),
    road_leg("APT-Y", "HOSP-B", 360, 400),
]


def test_air_legs_follow_the_schedule_when_the_connection_has_slack() -> None:
    d = Drive(road_manifest(legs=AIR_LEGS))
    d.scan(58, "departing", ORIGIN[0])
    est = d.scan(100, "arriving", "APT-X").estimate  # 10 min late, flight at 180
    assert est.phase == "transfer"
    # road leg to the hospital leaves at 360 + slip, 40 min scheduled
    assert est.p50 == pytest.approx(ts(360 + 5 + 40))


def test_a_late_connection_carries_the_delay_forward() -> None:
    config = EtaConfig()
    d = Drive(road_manifest(legs=AIR_LEGS), config)
    d.scan(58, "departing", ORIGIN[0])
    est = d.scan(200, "arriving", "APT-X").estimate  # after the scheduled flight
    flight_departs = 200 + 45 + 5  # a connection after arriving, plus the usual slip
    lands = flight_departs + 120  # the scheduled flight time
    road_departs = lands + 45 + 5
    assert est.p50 == pytest.approx(ts(road_departs + 40))
    assert est.p90 >= est.p50


def test_a_ground_fix_away_from_the_departure_airport_means_the_flight_landed() -> None:
    d = Drive(road_manifest(legs=AIR_LEGS))
    d.scan(58, "departing", ORIGIN[0])
    d.scan(90, "arriving", "APT-X")
    d.fix(95, (40.5, -80.5))  # at APT-X
    est = d.fix(305, (41.2, -80.2)).estimate  # far away: landed at APT-Y
    assert est.leg == 2
    assert est.phase == "transfer"


def test_the_arrival_scan_ends_the_estimate() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.9)
    est = d.scan(214, "arriving", "HOSP-B").estimate
    assert est.phase == "arrived"
    assert est.p50 == est.p90 == est.arrived_at == ts(214)


def test_without_custody_scans_the_first_fix_at_the_destination_is_the_arrival() -> None:
    d = Drive(road_manifest())
    d.fix(50, along(0.0))
    for minute in range(60, 200, 10):
        d.fix(minute, along((minute - 60) / 150))
    d.fix(200, (DEST[1], DEST[2] + 0.05))  # the destination's latitude, 4 km east: not there
    assert d.results[-1].estimate.phase != "arrived"
    est = d.fix(210, (DEST[1] + 0.002, DEST[2])).estimate  # 0.2 km north of the site
    assert est.phase == "arrived"
    assert est.arrived_at == est.p50 == ts(210)
    assert d.fix(220, (DEST[1], DEST[2])).estimate.arrived_at == ts(210)  # the first one


def test_without_legs_the_route_is_one_road_leg_between_the_sites() -> None:
    manifest = road_manifest(legs=[])
    est = estimate(manifest, Track(), [], EtaConfig(), ts(0))
    assert est.phase == "origin"
    assert est.p50 > ts(0) + timedelta(hours=2).total_seconds()
    assert est.remaining_km == pytest.approx(ROAD_KM / 1.3, rel=1e-3)
    assert at(0).tzinfo is not None


def test_readings_without_a_fix_after_the_scheduled_flight_mean_airborne() -> None:
    d = Drive(road_manifest(legs=AIR_LEGS))
    d.scan(58, "departing", ORIGIN[0])
    d.scan(90, "arriving", "APT-X")
    d.fix(170, (40.5, -80.5))  # at APT-X before the flight
    est = d.fix(200, None).estimate  # flight mode: no fix
    assert est.phase == "air"
    assert est.departures[1] == ts(185)  # not before the scheduled 180 + the usual slip
    assert est.dwell is None
    # lands 120 min after leaving, then the road leg at 360 + slip, 40 min
    assert est.p50 == pytest.approx(ts(360 + 5 + 40))
    on_ground = d.fix(210, (40.5, -80.5)).estimate  # a fix at the airport again: not flying
    assert on_ground.phase == "transfer"
