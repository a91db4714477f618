"""ETA alerts at their boundaries: late_delivery_risk, hold_time_risk, dwell_exceeded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eta_builders import (
    ORIGIN,
    T0,
    Drive,
    air_leg,
    along,
    at,
    drive_road,
    road_leg,
    road_manifest,
    ts,
)

from alerts.eta import hold_end, late_risk
from alerts.eta_config import EtaConfig
from alerts.eta_track import Track

MINUTE = 60.0


def _halfway(end_minute: float, **kw: object) -> Drive:
    d = Drive(road_manifest(end_minute=end_minute, **kw))  # type: ignore[arg-type]
    drive_road(d, until_fraction=0.5)
    return d


def _window() -> tuple[float, float]:
    """p50 and p90 half-way on the standard drive (the promised end does not change them)."""
    est = _halfway(10_000).results[-1].estimate
    return est.p50, est.p90


def _end_minute(t: float) -> float:
    return (t - T0.timestamp()) / 60


@pytest.mark.parametrize(
    ("where", "risk", "severity"),
    [
        ("after_p90", "on_time", None),
        ("between", "late_p90", "warning"),
        ("before_p50", "late_p50", "critical"),
    ],
)
def test_late_delivery_risk_by_where_the_promised_end_falls(
    where: str, risk: str, severity: str | None
) -> None:
    p50, p90 = _window()
    end = {"after_p90": p90 + 1, "between": (p50 + p90) / 2, "before_p50": p50 - 1}[where]
    d = _halfway(_end_minute(end))
    assert d.updates[-1].risk == risk
    opened = d.alerts("late_delivery_risk")
    if severity is None:
        assert opened == []
    else:
        current = d.eta.open["late_delivery_risk"]
        assert (current.details["severity"], current.resolved_at) == (severity, None)


def test_late_p50_only_opens_on_the_median_when_so_configured() -> None:
    p50, p90 = _window()
    d = Drive(
        road_manifest(end_minute=_end_minute((p50 + p90) / 2)),
        EtaConfig(late_alert_from="late_p50"),
    )
    drive_road(d, until_fraction=0.5)
    assert d.updates[-1].risk == "late_p90"
    assert d.alerts("late_delivery_risk") == []


def test_late_risk_levels() -> None:
    assert late_risk(10, 20, 20) == "on_time"
    assert late_risk(10, 20.5, 20) == "late_p90"
    assert late_risk(20.5, 30, 20) == "late_p50"


def _stop_then_drive(config: EtaConfig) -> Drive:
    """Promised by minute 330; a stop pushes the ETA past it, driving on brings it back
    (arrival about 100 min after restarting)."""
    d = Drive(road_manifest(end_minute=330), config)
    drive_road(d, until_fraction=0.4)  # standing from minute 110 at 1/3 of the way
    where = along(50 / 150)
    minute = 120
    while (
        d.eta.open.get("late_delivery_risk") is None
        or d.eta.open["late_delivery_risk"].details["severity"] != "critical"
    ):
        d.fix(minute, where)
        minute += 10
        assert minute < 400
    for k in range(1, 6):
        d.fix(minute + 10 * k, along((50 + 10 * k) / 150))
    return d


def test_late_delivery_risk_escalates_in_the_same_episode_then_clears() -> None:
    d = _stop_then_drive(EtaConfig())
    versions = d.alerts("late_delivery_risk")
    assert [v[3]["severity"] for v in versions] == ["warning", "critical", "critical"]
    assert len({v[0] for v in versions}) == 1  # one episode: opened, escalated, resolved
    assert "late_delivery_risk" not in d.eta.open
    (closed,) = [f for f in d.eta.closed if f.type == "late_delivery_risk"]
    assert closed.resolved_at is not None and closed.resolved_at > closed.opened_at
    assert d.updates[-1].risk == "on_time"


def test_late_delivery_risk_stays_open_until_back_inside_by_the_margin() -> None:
    d = _stop_then_drive(EtaConfig(risk_clear_margin_s=10 * 3600.0))
    assert d.updates[-1].risk == "on_time"
    assert d.eta.open["late_delivery_risk"].resolved_at is None


def test_arrival_resolves_an_open_late_risk_with_how_late_it_was() -> None:
    d = _halfway(150)  # promised by minute 150, arriving at 210
    assert "late_delivery_risk" in d.eta.open
    d.scan(212, "arriving", "HOSP-B")
    (closed,) = [f for f in d.eta.closed if f.type == "late_delivery_risk"]
    assert closed.resolved_at == ts(212)
    assert closed.details["late_by_s"] == pytest.approx(62 * MINUTE)
    assert d.updates[-1].eta_p50 == d.updates[-1].eta_p90 == at(212)


# -- hold time ---------------------------------------------------------------------------------


def _shipper(charged: float, rated_h: float = 120.0) -> dict[str, object]:
    return {"shipper_id": "DS-1", "rated_hold_h": rated_h, "charged_at": at(charged).isoformat()}


def test_hold_end_is_derated_and_lowered_by_tilt() -> None:
    config = EtaConfig()
    manifest = road_manifest(shipper=_shipper(0, rated_h=100))
    assert hold_end(manifest, 0.0, config) == pytest.approx(
        ts(0) + 100 * 3600 * config.hold_derating
    )
    two_hours = hold_end(manifest, 2 * 3600.0, config)
    assert two_hours == pytest.approx(ts(0) + 100 * 3600 * (config.hold_derating - 0.2))
    capped = hold_end(manifest, 100 * 3600.0, config)
    assert capped == pytest.approx(
        ts(0) + 100 * 3600 * (config.hold_derating - config.tilt_hold_loss_max)
    )
    assert hold_end(road_manifest(), 0.0, config) is None


def test_tilted_readings_count_until_the_next_reading_at_most_the_gap_cap() -> None:
    config = EtaConfig()
    track = Track()
    for minute, tilt in ((0, 90.0), (30, 90.0), (200, 2.0), (210, 90.0), (220, 2.0)):
        track.observe(
            ts(minute),
            None,
            None,
            tilt,
            tilt_limit_deg=45,
            tilt_max_gap_s=config.tilt_max_gap_s,
            max_fixes=8,
        )
    assert track.tilted_s == 30 * MINUTE + config.tilt_max_gap_s + 10 * MINUTE
    track.observe(ts(5), None, None, 90.0, tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=8)
    assert track.tilted_s == 30 * MINUTE + config.tilt_max_gap_s + 10 * MINUTE  # late: unchanged


@pytest.mark.parametrize(("margin_s", "fires"), [(60.0, False), (-60.0, True)])
def test_hold_time_risk_when_p90_plus_buffer_passes_the_hold_end(
    margin_s: float, fires: bool
) -> None:
    config = EtaConfig()
    _, p90 = _window()
    # charge so that the hold ends margin_s after p90 + the receipt buffer
    end = p90 + config.receipt_buffer_s + margin_s
    rated_h = 120.0
    charged = end - rated_h * 3600 * config.hold_derating
    d = _halfway(10_000, shipper=_shipper(_end_minute(charged), rated_h))
    assert bool(d.alerts("hold_time_risk")) is fires
    if fires:
        finding = d.eta.open["hold_time_risk"]
        assert finding.details["hold_end_at"] == pytest.approx(end)
        assert d.updates[-1].details["hold_risk"] is True


def test_hold_time_risk_from_the_manifest_alone_and_resolved_on_arrival() -> None:
    d = Drive(road_manifest(shipper=_shipper(-120 * 60 * 0.7)))  # the hold ends at minute 0
    d.fix(-100, along(0.0))
    (first,) = d.alerts("hold_time_risk")
    assert first[1] == ts(-100)
    drive_road(d)
    d.scan(212, "arriving", "HOSP-B")
    assert "hold_time_risk" not in d.eta.open
    assert d.alerts("hold_time_risk")[-1][2] == ts(212)


# -- dwell -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("minute", "fires"), [(125, False), (126, True)])
def test_dwell_at_the_origin_past_the_scheduled_departure_and_grace(
    minute: float, fires: bool
) -> None:
    # scheduled departure 60, usual slip 5 min, grace 60 min: the norm ends at minute 125
    d = Drive(road_manifest())
    d.fix(0, along(0.0))
    d.fix(minute, along(0.0))
    opened = d.alerts("dwell_exceeded")
    assert bool(opened) is fires
    if fires:
        _anchor, opened_at, resolved_at, details = opened[0]
        assert opened_at == ts(0)  # the dwell began with the first reading at the site
        assert resolved_at is None
        assert details["site_id"] == ORIGIN[0]


def test_dwell_at_the_origin_resolves_on_departure() -> None:
    d = Drive(road_manifest())
    d.fix(0, along(0.0))
    d.fix(200, along(0.0))
    d.scan(300, "departing", ORIGIN[0])
    versions = d.alerts("dwell_exceeded")
    assert versions[-1][2] == ts(300)
    assert "dwell_exceeded" not in d.eta.open


def test_dwell_at_a_transfer_airport_past_the_missed_flight() -> None:
    legs = [
        road_leg(ORIGIN[0], "APT-X", 60, 90),
        air_leg("APT-X", "APT-Y", 180, 300),
        road_leg("APT-Y", "HOSP-B", 360, 400),
    ]
    d = Drive(road_manifest(legs=legs))
    d.scan(58, "departing", ORIGIN[0])
    d.scan(90, "arriving", "APT-X")
    airport = (40.5, -80.5)
    for minute in range(100, 250, 10):  # flight at 180 + 5 min slip + 60 min grace = 245
        d.fix(minute, airport)
    assert d.alerts("dwell_exceeded") == []
    d.fix(250, airport)
    ((_, opened_at, resolved_at, details),) = d.alerts("dwell_exceeded")
    assert (opened_at, resolved_at, details["site_id"]) == (ts(90), None, "APT-X")
    d.fix(600, (41.2, -80.2))  # on the ground far away: flown
    assert d.alerts("dwell_exceeded")[-1][2] == ts(600)


def test_a_stop_mid_road_is_not_a_dwell_at_a_site() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.4)
    for minute in range(120, 400, 10):
        d.fix(minute, along(50 / 150))
    assert d.alerts("dwell_exceeded") == []
    assert d.results[-1].estimate.phase == "stopped"
    assert timedelta(0) < d.updates[-1].eta_p90 - d.updates[-1].eta_p50


def test_no_dwell_at_the_origin_without_a_fix_there() -> None:
    d = Drive(road_manifest())
    d.fix(0, None)
    d.fix(200, None)  # readings without location: where the shipment waits is unknown
    assert d.alerts("dwell_exceeded") == []
    d.fix(210, along(0.0))  # a fix at the origin: now it is known to wait there
    ((_, opened_at, _, _),) = d.alerts("dwell_exceeded")
    assert opened_at == ts(0)
