"""A replay resumed from its checkpoints equals one from the start, whatever the event times."""

from __future__ import annotations

from bisect import insort

from eta_builders import ORIGIN, along, road_manifest, scan, ts
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.custody_checks import CompactCustody
from alerts.eta import EtaResult, EtaState, fold_evicted, mark_late, observe, rederive, refresh
from alerts.eta import in_order as eta_in_order
from alerts.eta_config import EtaConfig
from alerts.readings import CompactReading

CONFIG = EtaConfig()
TILT_LIMIT = 45.0
MANIFEST = road_manifest(end_minute=330)  # created at minute -120

# whole minutes, so that readings and scans often share a time
minutes = st.integers(min_value=-200, max_value=400)
# before created_at: the replay's clock stays at created_at while it folds them
early = st.integers(min_value=-200, max_value=-121)


def _reading(n: int, minute: int) -> CompactReading:
    lat, lon = along(min(max(minute, 0), 300) / 300)
    return CompactReading(
        ts(minute), f"r{n:04d}", "LOG", n, -180.0, None, None, lat, lon, None, 2.0, None, None
    )


def _scan(n: int, minute: int) -> CompactCustody:
    return scan(minute, "departing" if n % 2 == 0 else "arriving", ORIGIN[0], n)


def _fingerprint(eta: EtaState, result: EtaResult) -> object:
    """What a replay derives: the ETA alert episodes, the track and the final estimate (not
    ``last``, the update published before, which a replay carries over)."""
    return sorted(f.to_list() for f in eta.findings()), eta.track.to_dict(), result.estimate


def _replayed(readings: list[CompactReading], custody: list[CompactCustody]) -> object:
    state, result = rederive(
        EtaState(),
        MANIFEST,
        sorted(readings, key=lambda r: r.sort_key),
        sorted(custody, key=lambda c: c.sort_key),
        CONFIG,
        tilt_limit_deg=TILT_LIMIT,
    )
    return _fingerprint(state, result)


@settings(max_examples=150, deadline=None)
@given(
    before=st.lists(early, max_size=40),
    first=st.lists(minutes, min_size=1, max_size=80),
    scans=st.lists(minutes, max_size=4),
    in_order=st.lists(st.integers(min_value=0, max_value=30), max_size=10),
    evict=st.integers(min_value=0, max_value=40),
    late=st.lists(minutes, min_size=1, max_size=3),
    restored=st.booleans(),
)
def test_a_replay_resumed_from_its_checkpoints_equals_a_replay_from_the_start(
    before: list[int],
    first: list[int],
    scans: list[int],
    in_order: list[int],
    evict: int,
    late: list[int],
    restored: bool,
) -> None:
    """Replay, then in-order events (refreshed, as the engine does), the oldest readings
    evicted into the replay base, then late ones: the replay that resumes from the
    checkpoints the first one left gives the same state as a replay of every event from the
    manifest's creation. ``restored``: the state went through its stored form before the
    late events, which keeps only the newest checkpoint (``ShipmentState.eta_mark``)."""
    readings = [_reading(n, m) for n, m in enumerate(before + first)]
    custody = sorted((_scan(n, m) for n, m in enumerate(scans)), key=lambda c: c.sort_key)
    history = sorted(readings, key=lambda r: r.sort_key)
    eta, _ = rederive(EtaState(), MANIFEST, history, custody, CONFIG, tilt_limit_deg=TILT_LIMIT)
    newest = max([history[-1].t, *(c.t for c in custody)])
    n = len(readings)
    for step in in_order:  # newer than everything (or as new, with a larger id): in order
        r = _reading(n, round((newest - ts(0)) / 60) + step)
        n += 1
        history.append(r)
        newest = max(newest, r.t)
        eta_in_order(eta, r.t)  # as the engine does
        observe(eta, r.t, r.lat, r.lon, r.tilt_deg, CONFIG, tilt_limit_deg=TILT_LIMIT)
        refresh(eta, MANIFEST, custody, CONFIG, newest)
    evict = min(evict, len(history) - 1)
    evicted, history = history[:evict], history[evict:]
    base, base_t = (
        fold_evicted(None, None, MANIFEST, evicted, custody, CONFIG, tilt_limit_deg=TILT_LIMIT)
        if evicted
        else (None, None)
    )
    if restored:
        marks = [(t, EtaState.from_dict(m.to_dict())) for t, m in eta.marks[-1:]]
        eta = EtaState.from_dict(eta.to_dict())
        eta.marks = marks
    for m in late:  # before the newest event, after the evicted readings
        t = min(ts(m), newest - 60)
        if evicted and t <= evicted[-1].t:
            continue
        r = _reading(n, round((t - ts(0)) / 60))
        n += 1
        insort(history, r, key=lambda item: item.sort_key)
        mark_late(eta, r.t)
    resumed, result = rederive(
        eta,
        MANIFEST,
        history,
        custody,
        CONFIG,
        tilt_limit_deg=TILT_LIMIT,
        base=base,
        base_t=base_t,
    )
    assert _fingerprint(resumed, result) == _replayed(evicted + history, custody)
