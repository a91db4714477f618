"""Alert scoring on hand-made truth and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.scoring.alerts import (
    AlertRecord,
    TruthWindow,
    final_alerts,
    overall,
    score_alerts,
)

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def window(shipment: str, kind: str, start: float, end: float) -> TruthWindow:
    return TruthWindow(shipment, kind, at(start), at(end))


def alert(n: int, shipment: str, kind: str, opened: float) -> AlertRecord:
    return AlertRecord(f"{shipment}:{kind}:{n}", kind, shipment, at(opened))


def test_final_alerts_keep_the_highest_version_of_each_alert_id() -> None:
    rows = [
        {
            "alert_id": "A",
            "version": 1,
            "type": "shock",
            "shipment_id": "S1",
            "opened_at": "2026-12-01T08:00:00Z",
        },
        {
            "alert_id": "A",
            "version": 3,
            "type": "shock",
            "shipment_id": "S1",
            "opened_at": "2026-12-01T08:10:00Z",
        },
        {
            "alert_id": "A",
            "version": 2,
            "type": "shock",
            "shipment_id": "S1",
            "opened_at": "2026-12-01T08:05:00Z",
        },
        {
            "alert_id": "B",
            "version": 1,
            "type": "tilt",
            "shipment_id": "S2",
            "opened_at": "2026-12-01T09:00:00Z",
        },
    ]
    final = final_alerts(rows)
    assert [(a.alert_id, a.opened_at) for a in final] == [("A", at(10)), ("B", at(60))]


def test_hits_misses_and_false_alarms_per_type() -> None:
    faults = [
        window("S1", "temperature_excursion", 0, 30),
        window("S2", "temperature_excursion", 100, 140),
        window("S3", "temperature_excursion", 200, 220),
    ]
    alerts = [
        alert(1, "S1", "temperature_excursion", 5),  # hit, 5 min late
        alert(1, "S2", "temperature_excursion", 95),  # hit inside the 10 min tolerance, -5 min
        alert(2, "S2", "temperature_excursion", 300),  # false alarm: far after the window
        alert(1, "S4", "temperature_excursion", 0),  # false alarm: no fault on S4
        alert(1, "S3", "shock", 205),  # wrong type: a false shock, S3's excursion missed
    ]
    scores = score_alerts(alerts, faults, tolerance_s=600)
    excursion = scores["temperature_excursion"]
    assert (excursion.tp, excursion.fn, excursion.fp, excursion.hits) == (2, 1, 2, 2)
    assert excursion.recall == pytest.approx(2 / 3)
    assert excursion.precision == pytest.approx(2 / 4)
    assert excursion.to_json()["detection_delay_s_p50"] == 0.0  # median of +300 and -300
    shock = scores["shock"]
    assert (shock.tp, shock.fn, shock.fp) == (0, 0, 1)
    assert shock.recall is None and shock.precision == 0.0


def test_tolerance_bounds_the_match() -> None:
    faults = [window("S1", "lid_open", 0, 0)]
    just_inside = score_alerts([alert(1, "S1", "lid_open", 10)], faults, tolerance_s=600)
    just_outside = score_alerts([alert(1, "S1", "lid_open", 10.5)], faults, tolerance_s=600)
    assert just_inside["lid_open"].tp == 1
    assert (just_outside["lid_open"].tp, just_outside["lid_open"].fp) == (0, 1)


def test_alerts_in_tolerated_windows_are_neither_hits_nor_false_alarms() -> None:
    tolerated = [window("S1", "logger_silent", 50, 60)]
    scores = score_alerts([alert(1, "S1", "logger_silent", 55)], [], tolerated)
    silent = scores["logger_silent"]
    assert (silent.tp, silent.fp, silent.fn, silent.ignored) == (0, 0, 0, 1)
    assert silent.precision is None


def test_several_alerts_on_one_fault_count_it_once_with_the_earliest_delay() -> None:
    faults = [window("S1", "tilt", 0, 60)]
    alerts = [alert(2, "S1", "tilt", 40), alert(1, "S1", "tilt", 20)]
    tilt = score_alerts(alerts, faults)["tilt"]
    assert (tilt.tp, tilt.hits, tilt.fp) == (1, 2, 0)
    assert tilt.detection_delays_s == (1200.0,)


def test_a_type_with_faults_and_no_alerts_has_zero_recall() -> None:
    scores = score_alerts([], [window("S1", "custody_gap", 0, 0)])
    gap = scores["custody_gap"].to_json()
    assert (gap["recall"], gap["precision"], gap["fn"]) == (0.0, None, 1)
    assert gap["detection_delay_s_p50"] is None


def test_overall_pools_every_type() -> None:
    faults = [window("S1", "shock", 0, 0), window("S2", "tilt", 0, 30)]
    scores = score_alerts([alert(1, "S1", "shock", 0), alert(1, "S9", "tilt", 0)], faults)
    total = overall(scores)
    assert (total.tp, total.fn, total.fp) == (1, 1, 1)
