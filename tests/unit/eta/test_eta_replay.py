"""rederive: the ETA alerts of a replay in event time do not depend on arrival order."""

from __future__ import annotations

import random

from eta_builders import ORIGIN, Drive, along, road_manifest, scan, ts

from alerts.eta import EtaState, fold_evicted, mark_late, rederive
from alerts.eta_config import EtaConfig
from alerts.readings import CompactReading

CONFIG = EtaConfig()


def _reading(minute: float, where: tuple[float, float] | None) -> CompactReading:
    lat, lon = where if where is not None else (None, None)
    return CompactReading(
        ts(minute), f"r{minute:g}", "LOG", None, -180.0, None, None, lat, lon, None, 2.0, None, None
    )


# promised by minute 330: standing from 110 to 230 makes it late for a while
EVENTS = [
    *(_reading(m, along(0.0)) for m in (0, 20, 40)),
    *(_reading(60 + 10 * k, along(10 * k / 150)) for k in range(1, 6)),
    *(_reading(m, along(50 / 150)) for m in range(120, 240, 10)),
    *(_reading(230 + 10 * k, along((50 + 10 * k) / 150)) for k in range(1, 8)),
]
SCANS = [scan(58, "departing", ORIGIN[0])]


def _incremental() -> EtaState:
    d = Drive(road_manifest(end_minute=330))
    d.scan(58, "departing", ORIGIN[0])
    for r in EVENTS:
        d.fix((r.t - ts(0)) / 60, None if r.lat is None else (r.lat, r.lon))  # type: ignore[arg-type]
    return d.eta


def _key(eta: EtaState) -> list[list[object]]:
    return sorted(f.to_list() for f in eta.findings())


def test_replay_in_event_time_equals_the_in_order_run() -> None:
    manifest = road_manifest(end_minute=330)
    ordered = sorted(EVENTS, key=lambda r: r.t)
    replayed, result = rederive(EtaState(), manifest, ordered, SCANS, CONFIG, tilt_limit_deg=45)
    assert _key(replayed) == _key(_incremental())
    assert any(f.type == "late_delivery_risk" for f in replayed.findings())
    assert result.update is not None and result.changed == []


def test_replay_does_not_depend_on_arrival_order() -> None:
    manifest = road_manifest(end_minute=330)
    shuffled = list(EVENTS)
    random.Random(7).shuffle(shuffled)
    # the engine keeps readings sorted; the state before the replay is whatever came first
    stale = EtaState()
    replayed, _ = rederive(
        stale, manifest, sorted(shuffled, key=lambda r: r.t), SCANS, CONFIG, tilt_limit_deg=45
    )
    assert _key(replayed) == _key(_incremental())


def test_replay_from_an_evicted_base_equals_the_whole_replay() -> None:
    manifest = road_manifest(end_minute=330)
    ordered = sorted(EVENTS, key=lambda r: r.t)
    whole, _ = rederive(EtaState(), manifest, ordered, SCANS, CONFIG, tilt_limit_deg=45)
    base, base_t = fold_evicted(None, None, manifest, ordered[:6], SCANS, CONFIG, tilt_limit_deg=45)
    base, base_t = fold_evicted(
        base, base_t, manifest, ordered[6:12], SCANS, CONFIG, tilt_limit_deg=45
    )
    assert base_t == ordered[11].t
    split, _ = rederive(
        EtaState(),
        manifest,
        ordered[12:],
        SCANS,
        CONFIG,
        tilt_limit_deg=45,
        base=base,
        base_t=base_t,
    )
    assert _key(split) == _key(whole)
    assert split.track.to_dict() == whole.track.to_dict()


def test_replay_publishes_only_a_meaningful_change_from_the_last_update() -> None:
    manifest = road_manifest(end_minute=330)
    ordered = sorted(EVENTS, key=lambda r: r.t)
    first, result = rederive(EtaState(), manifest, ordered, SCANS, CONFIG, tilt_limit_deg=45)
    assert result.update is not None
    again, repeat = rederive(first, manifest, ordered, SCANS, CONFIG, tilt_limit_deg=45)
    assert repeat.update is None
    assert again.last == first.last


def test_in_order_refreshes_leave_no_checkpoints() -> None:
    d = Drive(road_manifest(end_minute=330))
    d.scan(58, "departing", ORIGIN[0])
    for r in sorted(EVENTS, key=lambda r: r.t):
        d.fix((r.t - ts(0)) / 60, None if r.lat is None else (r.lat, r.lon))  # type: ignore[arg-type]
    assert d.eta.marks == []  # a state built in arrival order is no replay start


def test_a_replay_from_checkpoints_equals_one_from_the_start() -> None:
    manifest = road_manifest(end_minute=330)
    d = Drive(manifest)
    d.scan(58, "departing", ORIGIN[0])
    ordered = sorted(EVENTS, key=lambda r: r.t)
    replayed, _ = rederive(EtaState(), manifest, ordered, d.custody, CONFIG, tilt_limit_deg=45)
    assert len(replayed.marks) >= 1
    late = _reading(225, along(50 / 150))
    mark_late(replayed, late.t)
    assert all(t < late.t for t, _ in replayed.marks)
    assert replayed.dirty
    events = sorted([*ordered, late], key=lambda r: r.t)
    from_marks, _ = rederive(replayed, manifest, events, d.custody, CONFIG, tilt_limit_deg=45)
    from_start, _ = rederive(EtaState(), manifest, events, d.custody, CONFIG, tilt_limit_deg=45)
    assert _key(from_marks) == _key(from_start)
    assert from_marks.track.to_dict() == from_start.track.to_dict()
    assert not from_marks.dirty


def test_copy_is_independent() -> None:
    d = Drive(road_manifest(end_minute=150))
    for r in sorted(EVENTS, key=lambda r: r.t)[:12]:
        d.fix((r.t - ts(0)) / 60, None if r.lat is None else (r.lat, r.lon))  # type: ignore[arg-type]
    twin = d.eta.copy()
    assert twin.to_dict() == d.eta.to_dict()
    d.fix(500, along(0.9))
    assert twin.to_dict() != d.eta.to_dict()
