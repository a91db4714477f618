"""ETA updates: published on a meaningful change only, stamped with the newest event time."""

from __future__ import annotations

import itertools
import json

from eta_builders import Drive, along, at, drive_road, road_manifest, ts

from alerts.eta import EtaState, refresh
from alerts.eta_config import EtaConfig
from alerts.eta_track import Track


def test_the_first_refresh_publishes_and_an_unchanged_one_does_not() -> None:
    d = Drive(road_manifest())
    first = d.fix(0, along(0.0))
    assert first.update is not None
    assert first.update.computed_at == at(0)
    assert first.update.promised_end == at(600)
    again = refresh(d.eta, d.manifest, d.custody, d.config, ts(0))
    assert again.update is None


def test_small_shifts_are_not_published_large_ones_are() -> None:
    d = Drive(road_manifest(), EtaConfig(min_shift_s=60, max_shift_s=300, shift_ratio=0.03))
    drive_road(d, until_fraction=0.6)
    published = [u.eta_p50 for u in d.updates]
    for before, after in itertools.pairwise(published):
        assert before != after
    # constant pace: once measured, the estimate barely moves and few updates follow
    assert len(d.updates) < len(d.results)
    quiet = refresh(d.eta, d.manifest, d.custody, d.config, d.now)
    assert quiet.update is None


def test_a_new_risk_state_is_published_even_without_a_shift() -> None:
    d = Drive(road_manifest(), EtaConfig(min_shift_s=10_000, max_shift_s=10_000))
    d.fix(0, along(0.0))
    d.fix(126, along(0.0))  # dwell at the origin exceeded: same risk, new state
    assert [u.details.get("dwell_exceeded") for u in d.updates] == [False, True]


def test_a_late_reading_does_not_move_computed_at_back() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.5)
    newest = d.now
    d.fix(75, along(0.1))  # arrives late, recorded before the newest reading
    assert d.now == newest
    assert all(u.computed_at.timestamp() <= newest for u in d.updates)


def test_the_update_carries_remaining_distance_speed_and_phase() -> None:
    d = Drive(road_manifest())
    drive_road(d, until_fraction=0.5)
    update = d.updates[-1]
    assert update.remaining_km is not None and update.remaining_km > 0
    assert update.speed_kmh is not None and update.speed_kmh > 0
    assert update.details["phase"] == "road"


def test_state_round_trips_through_json() -> None:
    d = Drive(road_manifest(end_minute=150))
    drive_road(d, until_fraction=0.5)
    assert d.eta.open
    text = json.dumps(d.eta.to_dict())
    back = EtaState.from_dict(json.loads(text))
    assert back.to_dict() == d.eta.to_dict()
    assert refresh(back, d.manifest, d.custody, d.config, d.now).update is None


def test_track_keeps_fixes_sorted_and_bounded() -> None:
    track = Track()
    for minute in (0, 20, 10, 30, 40):
        track.observe(
            ts(minute),
            40.0 + minute / 100,
            -80.0,
            None,
            tilt_limit_deg=45,
            tilt_max_gap_s=3600,
            max_fixes=4,
        )
    assert [f[0] for f in track.fixes] == [ts(10), ts(20), ts(30), ts(40)]
    track.observe(ts(5), 40.0, -80.0, None, tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=4)
    assert track.fixes[0][0] == ts(10)  # older than every kept fix: dropped
    assert (track.first_t, track.last_t) == (ts(0), ts(40))


def test_still_since_is_the_start_of_the_newest_run_in_place() -> None:
    track = Track()
    for minute, lat in ((0, 40.0), (10, 40.1), (20, 40.2), (30, 40.2001), (40, 40.2)):
        track.observe(
            ts(minute), lat, -80.0, None, tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=8
        )
    assert track.still_since(0.5) == ts(20)
    assert Track().still_since(0.5) is None
