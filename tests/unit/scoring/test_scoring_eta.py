"""ETA scoring on hand-made trips and updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.scoring.eta import Checkpoint, EtaPoint, Trip, latest_before, score_eta

DEPART = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
ARRIVE = DEPART + timedelta(hours=8)  # checkpoints at 10:00, 12:00, 14:00


def h(hours: float) -> datetime:
    return DEPART + timedelta(hours=hours)


def update(computed: float, p50: float, p90: float, shipment: str = "S1") -> EtaPoint:
    return EtaPoint(shipment, h(computed), h(p50), h(p90))


def test_no_updates_gives_no_eta_block() -> None:
    assert score_eta([Trip("S1", DEPART, ARRIVE)], []) is None


def test_latest_update_at_or_before_the_checkpoint_is_used() -> None:
    series = [update(1, 9, 10), update(2, 8.5, 9), update(2, 8.2, 9), update(3, 7, 7)]
    chosen = latest_before(series, h(2))
    assert chosen is series[2]
    assert latest_before(series, h(0.5)) is None


def test_error_is_a_share_of_the_remaining_time() -> None:
    trip = Trip("S1", DEPART, ARRIVE)
    updates = [
        update(1, 10, 11),  # at 25 % (2 h in, 6 h left): 2 h late -> 1/3; p90 covers
        update(3, 8, 9),  # at 50 % (4 h left): exact; covers
        update(5.5, 7, 7.5),  # at 75 % (2 h left): 1 h early -> 0.5; p90 7.5 < 8 misses
        update(9, 8, 8),  # after the last checkpoint: unused
    ]
    score = score_eta([trip], updates)
    assert score is not None
    assert score["p50_mae_ratio"] == {"25": pytest.approx(1 / 3, abs=1e-4), "50": 0.0, "75": 0.5}
    assert score["p90_coverage"] == pytest.approx(2 / 3, abs=1e-4)
    assert (score["points"], score["missing"]) == (3, 0)
    assert score["baseline"] is None


def test_checkpoints_without_an_update_are_missing_not_errors() -> None:
    trips = [Trip("S1", DEPART, ARRIVE), Trip("S2", DEPART, ARRIVE)]
    score = score_eta(trips, [update(5, 8, 8)])
    assert score is not None
    assert (score["points"], score["missing"]) == (1, 5)
    assert score["p50_mae_ratio"] == {"75": 0.0}


def test_baseline_uses_remaining_distance_over_observed_speed() -> None:
    checkpoints = (
        Checkpoint(0.25, remaining_km=480.0, observed_speed_kmh=80.0),  # 6 h: exact
        Checkpoint(0.5, remaining_km=160.0, observed_speed_kmh=80.0),  # 2 h for 4 left: 0.5
    )
    trip = Trip("S1", DEPART, ARRIVE, checkpoints)
    score = score_eta([trip], [update(0, 8, 9)])
    assert score is not None
    assert score["baseline"]["p50_mae_ratio"] == {"25": 0.0, "50": 0.5}
